/**
 * The federation service: builds the outbound stack (address guard, HTTPS client, discovery,
 * signing client) from the config, the key ring, and the inbound request authenticator.
 * `allow_federation = false` keeps it all switched off.
 */
import type { SigningKey } from "../../core";
import type { Config } from "../../config";
import { createOutboundClient } from "../../net";
import type { Storage } from "../../storage";
import type { Clock } from "../../runtime/clock";
import type { Logger } from "../../runtime/logger";
import { forbidden } from "../matrix-error";
import type { FederationClient } from "../../net/federation-client";
import { createKeyRing } from "./keys/key-ring";
import { createRemoteProfiles } from "./remote-profiles";
import { createRequestAuthenticator } from "./inbound/request-auth";
import { createFederationSender, type SenderWorker } from "../../workers/federation-sender/sender";

export interface FederationDeps {
  config: Config;
  storage: Storage;
  clock: Clock;
  log: Logger;
  signingKey: SigningKey;
  /** The sender worker; without it, outbound items are queued but not delivered. */
  senderWorker?: SenderWorker;
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
    sender: createFederationSender({ config, storage, clock, log, signingKey, worker: deps.senderWorker }),
    profiles: createRemoteProfiles(client),
  };
}
export type Federation = ReturnType<typeof createFederation>;
