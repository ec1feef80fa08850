/**
 * The outbound server-to-server stack, as the services and the federation sender worker both
 * build it from the config: address guard, HTTPS client with the trusted roots, server
 * discovery, and the client that signs each request with X-Matrix.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { getCACertificates } from "node:tls";
import { ConfigError, DEFAULT_IP_RANGE_DENYLIST, type Config } from "../config";
import { errorMessage, type SigningKey } from "../core";
import type { Clock } from "../runtime/clock";
import { createServerDiscovery } from "./discovery";
import { createFederationClient, type FederationClient } from "./federation-client";
import { createAddressGuard, InvalidCidrError } from "./ip-ranges";
import { createOutboundHttp, type OutboundHttp } from "./outbound-http";

/** Trusted roots for outbound TLS: the runtime's and the system's, plus the configured extra CA. */
function trustedCas(config: Config): string[] {
  const roots = getCACertificates("default");
  if (!config.federation_tls_ca) return roots;
  try {
    return [...roots, readFileSync(config.federation_tls_ca, "utf8")];
  } catch (e) {
    throw new ConfigError(`config key "federation_tls_ca" names ${config.federation_tls_ca}, which cannot be read: ${errorMessage(e)}`);
  }
}

/** Guarded HTTPS to any host (checked against ip_range_denylist), with the trusted roots. */
export function createGuardedHttp(config: Config): OutboundHttp {
  let guard;
  try {
    guard = createAddressGuard(config.ip_range_denylist);
  } catch (e) {
    if (e instanceof InvalidCidrError) throw new ConfigError(`config key "ip_range_denylist" has an invalid entry: ${e.message}`);
    throw e;
  }
  return createOutboundHttp({ guard, ca: trustedCas(config), allowInvalidCertificates: config.allow_invalid_tls_certificates });
}

/**
 * Guarded HTTP(S) for URL previews: never the built-in private, loopback and link-local ranges nor
 * `ip_range_denylist` (even when federation's list was emptied), except `url_preview_ip_range_allowlist`.
 */
export function createPreviewHttp(config: Config): OutboundHttp {
  const guard = (cidrs: readonly string[], key: string) => {
    try {
      return createAddressGuard(cidrs);
    } catch (e) {
      if (e instanceof InvalidCidrError) throw new ConfigError(`config key "${key}" has an invalid entry: ${e.message}`);
      throw e;
    }
  };
  const denied = guard([...DEFAULT_IP_RANGE_DENYLIST, ...config.ip_range_denylist], "ip_range_denylist");
  const listed = guard(config.url_preview_ip_range_allowlist, "url_preview_ip_range_allowlist");
  return createOutboundHttp({
    // `listed.allows` is true outside the allowlist; an address inside it passes whatever the denylist says.
    guard: { allows: (ip) => (isIP(ip) !== 0 && !listed.allows(ip)) || denied.allows(ip) },
    ca: trustedCas(config),
    allowInvalidCertificates: false,
  });
}

/** The signing HTTPS client to other servers; the sender worker builds its own with this too. */
export function createOutboundClient(config: Config, signingKey: SigningKey, clock: Clock): FederationClient {
  const http = createGuardedHttp(config);
  const discovery = createServerDiscovery({ http, clock });
  return createFederationClient({ serverName: config.server_name, signingKey, discovery, http });
}
