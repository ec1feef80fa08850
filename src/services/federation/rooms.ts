/**
 * Wires federation's room side once the room services exist: the PDU checks, the read-only room
 * view, the inbound event pipeline and the transaction receiver that feeds it, room reads for
 * other servers, the resident side of membership handshakes, and cross-server membership for
 * our own users.
 */
import type { SigningKey } from "../../core";
import type { Config } from "../../config";
import type { Storage } from "../../storage";
import type { Clock } from "../../runtime/clock";
import type { Logger } from "../../runtime/logger";
import type { Notifier } from "../sync/notifier";
import type { RoomServices } from "../rooms/index";
import type { Federation } from ".";
import type { DirectoryService } from "../rooms/directory";
import type { PresenceService } from "../edus/presence";
import type { ReceiptsService } from "../edus/receipts";
import type { TypingService } from "../edus/typing";
import type { Visibility } from "../rooms/visibility";
import { createBackfill } from "./backfill";
import { createFederatedDirectory } from "./remote-directory";
import { connectEdus } from "./edus";
import { createHandshakes } from "./handshakes";
import { createInboundEvents, type RoomWrites } from "./inbound/room-pipeline";
import { createPduChecker } from "./inbound/pdu-checker";
import { createPduCheckPool } from "../../workers/pdu-check/pool";
import type { StateResolver } from "../../core";
import { createInvites } from "../membership/invites";
import { createJoinAnswers } from "../membership/join-answer";
import { createOutOfRoomMemberships } from "../membership/out-of-room";
import { createRemoteMembership } from "../membership/remote";
import { createRoomView } from "./room-view";
import { createFederationServing } from "./serving";
import { createTransactionReceiver } from "./inbound/transactions";

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
  stateResPool?: StateResolver;
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
