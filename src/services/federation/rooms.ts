/**
 * Wires federation's room side once the room services exist: the PDU checks, the read-only room
 * view, the inbound event pipeline and the transaction receiver that feeds it, room reads for
 * other servers, the resident side of membership handshakes, and cross-server membership for
 * our own users.
 */
import type { Config } from "../../config";
import type { Storage } from "../../storage";
import type { Clock } from "../clock";
import type { Logger } from "../logger";
import type { Notifier } from "../notifier";
import type { RoomServices } from "../room-services";
import type { Federation } from ".";
import type { DirectoryService } from "../directory";
import type { SigningKey } from "../server-keys";
import type { PresenceService } from "../presence";
import type { ReceiptsService } from "../receipts";
import type { TypingService } from "../typing";
import type { Visibility } from "../visibility";
import { createBackfill } from "./backfill";
import { createFederatedDirectory } from "./directory";
import { connectEdus } from "./edus";
import { createHandshakes } from "./handshakes";
import { createInboundEvents, type RoomWrites } from "./inbound-events";
import { createPduChecker } from "./pdu-checks";
import { createPduCheckPool } from "../../workers/pdu-check-pool";
import type { StateResPool } from "../../workers/state-res-pool";
import { createInvites } from "./invites";
import { createJoinAnswers } from "./join-answer";
import { createOutOfRoomMemberships } from "./out-of-room";
import { createRemoteMembership } from "./remote-membership";
import { createRoomView } from "./room-view";
import { createFederationServing } from "./serving";
import { createTransactionReceiver } from "./transactions";

export interface FederationRoomDeps extends RoomServices {
  config: Config;
  storage: Storage;
  clock: Clock;
  log: Logger;
  notifier: Notifier;
  federation: Federation;
  signingKey: SigningKey;
  directory: DirectoryService;
  typing: TypingService;
  receipts: ReceiptsService;
  presence: PresenceService;
  visibility: Visibility;
  stateResPool?: StateResPool;
}

export function buildFederationRooms(deps: FederationRoomDeps) {
  const { storage, clock, log, federation } = deps;
  const checker = createPduChecker(federation.keys, createPduCheckPool());
  const view = createRoomView({ storage, state: deps.roomState, eventStore: deps.eventStore });
  const writes: RoomWrites = {
    roomQueue: deps.roomQueue,
    roomHeads: deps.roomHeads,
    roomState: deps.roomState,
    eventStore: deps.eventStore,
    persister: deps.persister,
    notifier: deps.notifier,
  };
  const inbound = createInboundEvents({
    ...writes,
    storage,
    log,
    client: federation.client,
    checker,
    view,
    stateResPool: deps.stateResPool,
  });
  const transactions = createTransactionReceiver({ storage, clock, log, receivePdus: inbound.receivePdus });
  const serverName = deps.config.server_name;
  const serving = createFederationServing({ serverName, storage, clock, view, eventStore: deps.eventStore, state: deps.roomState });
  const handshakes = createHandshakes({
    serverName,
    signingKey: deps.signingKey,
    storage,
    clock,
    view,
    roomHeads: deps.roomHeads,
    eventStore: deps.eventStore,
    checker,
    inbound,
    sender: federation.sender,
    serving,
  });
  const directory = createFederatedDirectory({ serverName, client: federation.client, directory: deps.directory, view });
  const joinAnswers = createJoinAnswers({ ...writes, storage, clock, checker });
  const recordOutOfRoom = createOutOfRoomMemberships({ storage, clock, notifier: deps.notifier });
  const membership = createRemoteMembership({
    serverName,
    signingKey: deps.signingKey,
    storage,
    clock,
    log,
    client: federation.client,
    view,
    local: deps.membership,
    directory: deps.directory,
    aliases: directory,
    joinAnswers,
    recordOutOfRoom,
  });
  const invites = createInvites({
    serverName,
    signingKey: deps.signingKey,
    storage,
    log,
    client: federation.client,
    checker,
    view,
    inbound,
    sender: federation.sender,
    local: deps.membership,
    roomHeads: deps.roomHeads,
    eventStore: deps.eventStore,
    eventBuilder: deps.eventBuilder,
    recordOutOfRoom,
    participating: membership.participating,
  });
  connectEdus({
    serverName,
    storage,
    clock,
    view,
    sender: federation.sender,
    transactions,
    typing: deps.typing,
    receipts: deps.receipts,
    presence: deps.presence,
  });
  const backfill = createBackfill({
    serverName,
    storage,
    clock,
    log,
    client: federation.client,
    checker,
    inbound,
    view,
    eventStore: deps.eventStore,
    visibility: deps.visibility,
  });
  return { checker, view, inbound, transactions, serving, handshakes, membership, invites, directory, backfill };
}
export type FederationRooms = ReturnType<typeof buildFederationRooms>;
