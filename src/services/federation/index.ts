/**
 * The federation service: builds the outbound stack (address guard, HTTPS client, discovery,
 * signing client) from the config, the key ring, and the inbound request authenticator.
 * `allow_federation = false` keeps it all switched off.
 */
import { readFileSync } from "node:fs";
import { getCACertificates } from "node:tls";
import { ConfigError, type Config } from "../../config";
import type { Storage } from "../../storage";
import type { Clock } from "../../runtime/clock";
import type { Logger } from "../../runtime/logger";
import { forbidden } from "../matrix-error";
import type { SigningKey } from "./keys/signing-key";
import { createFederationClient, type FederationClient } from "../../net/federation-client";
import { createServerDiscovery } from "../../net/discovery";
import { createAddressGuard, InvalidCidrError } from "../../net/ip-ranges";
import { createKeyRing } from "./keys/key-ring";
import { createOutboundHttp } from "../../net/outbound-http";
import { createRemoteProfiles } from "./remote-profiles";
import { createRequestAuthenticator } from "./inbound/request-auth";
import { createFederationSender, type SenderWorker } from "./outbound/sender";

export interface FederationDeps {
  config: Config;
  storage: Storage;
  clock: Clock;
  log: Logger;
  signingKey: SigningKey;
  /** The sender worker; without it, outbound items are queued but not delivered. */
  senderWorker?: SenderWorker;
}

/** Trusted roots for outbound TLS: the runtime's and the system's, plus the configured extra CA. */
function trustedCas(config: Config): string[] {
  const roots = getCACertificates("default");
  if (!config.federation_tls_ca) return roots;
  try {
    return [...roots, readFileSync(config.federation_tls_ca, "utf8")];
  } catch (e) {
    throw new ConfigError(`config key "federation_tls_ca" names ${config.federation_tls_ca}, which cannot be read: ${(e as Error).message}`);
  }
}

/** The signing HTTPS client to other servers; the sender worker builds its own with this too. */
export function createOutboundClient(config: Config, signingKey: SigningKey, clock: Clock): FederationClient {
  let guard;
  try {
    guard = createAddressGuard(config.ip_range_denylist);
  } catch (e) {
    if (e instanceof InvalidCidrError) throw new ConfigError(`config key "ip_range_denylist" has an invalid entry: ${e.message}`);
    throw e;
  }
  const http = createOutboundHttp({ guard, ca: trustedCas(config), allowInvalidCertificates: config.allow_invalid_tls_certificates });
  const discovery = createServerDiscovery({ http, clock });
  return createFederationClient({ serverName: config.server_name, signingKey, discovery, http });
}

export function createFederation(deps: FederationDeps) {
  const { config, storage, clock, log, signingKey } = deps;
  if (config.allow_federation && config.allow_invalid_tls_certificates) {
    log.warn(
      "allow_invalid_tls_certificates is on: certificates of remote servers are NOT verified, so anyone on the network path can impersonate them. Use this only on an isolated test network.",
    );
  }
  // With federation off nothing leaves this server: every outbound request is refused here.
  const client: FederationClient = config.allow_federation
    ? createOutboundClient(config, signingKey, clock)
    : { request: () => Promise.reject(forbidden("Federation is disabled on this server")) };
  const keys = createKeyRing({
    serverName: config.server_name,
    signingKey,
    storage,
    client,
    trustedServers: config.trusted_servers,
    clock,
    log,
  });
  return {
    enabled: config.allow_federation,
    client,
    keys,
    authenticateRequest: createRequestAuthenticator(config.server_name, keys, clock),
    sender: createFederationSender({ config, storage, clock, log, worker: deps.senderWorker }),
    profiles: createRemoteProfiles(client),
  };
}
export type Federation = ReturnType<typeof createFederation>;
