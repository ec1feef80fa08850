/**
 * Wires the federation area: the signing client to other servers and the key ring, inbound
 * request authentication, the PDU checker, the room pipeline for remote events and the
 * transaction receiver feeding it, room reads for other servers, the resident side of
 * membership handshakes, directories across servers, backfill, EDU exchange, and the fan-out of
 * local events to the room's other servers. `allow_federation = false` keeps it all switched
 * off: every outbound request is refused and nothing is queued.
 */
import type { PduCheckRunner, StateResolver } from "../../core";
import { createOutboundClient } from "../../net";
import { withFailureLog } from "../../net/failure-log";
import type { FederationClient } from "../../net/federation-client";
import type { Edus } from "../edus";
import { forbidden } from "../matrix-error";
import type { Rooms } from "../rooms";
import { createBackfill } from "./backfill";
import { connectEdus } from "./edus";
import { createHandshakes } from "./handshakes";
import { createPduChecker } from "./inbound/pdu-checker";
import { createRequestAuthenticator } from "./inbound/request-auth";
import { createInboundEvents, type RoomWrites } from "./inbound/room-pipeline";
import { createTransactionReceiver } from "./inbound/transactions";
import { createKeyRing } from "./keys/key-ring";
import { createOutboundEvents } from "./outbound/event-fanout";
import type { OutboundQueue } from "./outbound/queue";
import { createFederatedDirectory } from "./remote-directory";
import { createRemoteProfiles } from "./remote-profiles";
import { createRoomView } from "./room-view";
import type { SharedDeps } from "../shared-deps";
import { createFederationServing } from "./serving";

export interface FederationDeps extends Omit<SharedDeps, "rateLimits"> {
  rooms: Rooms;
  edus: Edus;
  /** Where events and EDUs for other servers are queued (the sender worker's queue). */
  outbound: OutboundQueue;
  /** Large state resolutions off the main thread; without it, they run inline. */
  stateResolver?: StateResolver;
  /** Large batches of PDU checks off the main thread; without it, they run inline. */
  pduChecks?: PduCheckRunner;
  /** Asks the appservices of an unknown local alias's namespace (they may create it). */
  aliasQuery?: (alias: string) => Promise<boolean>;
}

export function buildFederation(deps: FederationDeps) {
  const { config, storage, clock, log, signingKey, rooms, edus, outbound } = deps;
  const serverName = config.server_name;
  if (config.allow_federation && config.allow_invalid_tls_certificates) {
    log.warn(
      "allow_invalid_tls_certificates is on: certificates of remote servers, appservices and push gateways are NOT verified, so anyone on the network path can impersonate them. Use this only on an isolated test network.",
    );
  }
  // With federation off nothing leaves this server: every outbound request is refused here.
  const client: FederationClient = config.allow_federation
    ? withFailureLog(createOutboundClient(config, signingKey, clock), log, clock)
    : { request: () => Promise.reject(forbidden("Federation is disabled on this server")) };
  const keys = createKeyRing({ serverName, signingKey, storage, client, trustedServers: config.trusted_servers, clock, log });
  const checker = createPduChecker(keys, deps.pduChecks);
  const view = createRoomView({ storage, state: rooms.state, eventStore: rooms.eventStore });
  const writes: RoomWrites = {
    roomQueue: rooms.queue,
    roomHeads: rooms.heads,
    roomState: rooms.state,
    eventStore: rooms.eventStore,
    persister: rooms.persister,
    notifier: deps.notifier,
  };
  const inbound = createInboundEvents({ ...writes, storage, log, client, checker, view, stateResolver: deps.stateResolver });
  const transactions = createTransactionReceiver({ storage, clock, log, receivePdus: inbound.receivePdus });
  const serving = createFederationServing({ serverName, storage, clock, view, eventStore: rooms.eventStore, state: rooms.state });
  const handshakes = createHandshakes({
    serverName,
    signingKey,
    storage,
    clock,
    view,
    roomHeads: rooms.heads,
    eventStore: rooms.eventStore,
    checker,
    inbound,
    sender: outbound,
    serving,
  });
  const directory = createFederatedDirectory({ serverName, client, directory: rooms.directory, view, aliasQuery: deps.aliasQuery });
  const backfill = createBackfill({
    serverName,
    storage,
    clock,
    log,
    client,
    checker,
    inbound,
    view,
    eventStore: rooms.eventStore,
    visibility: rooms.visibility,
  });
  // Our events and EDUs leave for the room's other servers, queued where they are stored.
  rooms.send.onLocalEvent(createOutboundEvents(outbound, serverName));
  connectEdus({ serverName, storage, clock, view, sender: outbound, transactions, ...edus });

  return {
    enabled: config.allow_federation,
    client,
    keys,
    outbound,
    authenticateRequest: createRequestAuthenticator(serverName, keys, clock),
    profiles: createRemoteProfiles(client),
    checker,
    view,
    inbound,
    transactions,
    serving,
    handshakes,
    directory,
    backfill,
  };
}
export type Federation = ReturnType<typeof buildFederation>;
