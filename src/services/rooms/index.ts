/**
 * Wires the rooms area: persistence (queue, heads, state groups, persister), the local event
 * pipeline, and the client-facing room services. Called by the composition root.
 */
import type { SigningKey } from "../../core";
import type { Config } from "../../config";
import type { Storage } from "../../storage";
import type { Clock } from "../../runtime/clock";
import { createClientEvents } from "./client-events";
import { createDirectoryService } from "./directory";
import { createEventBuilder } from "./event-builder";
import { createEventPersister } from "./persister";
import { createEventStore } from "./event-store";
import { createGuestAccessEnforcer } from "./guest-access";
import { createEventsService, type EventsDeps } from "./send";
import { MatrixError } from "../matrix-error";
import { createMembershipService } from "../membership/local";
import type { AccountEvents } from "../accounts/account-events";
import type { Logger } from "../../runtime/logger";
import type { Notifier } from "../sync/notifier";
import type { RateLimiter } from "../rate-limit";
import { createRoomCreation } from "./creation";
import { createRoomHeads } from "./heads";
import { createRoomQueue } from "./queue";
import { createRoomSummaries } from "./summary";
import { createRoomUpgrades } from "./upgrade";
import { createRoomsService } from "./room-actions";
import { createStateService } from "./state";
import { createTimeline } from "./timeline";
import { createVisibility } from "./visibility";

export interface RoomServiceDeps {
  config: Config;
  storage: Storage;
  clock: Clock;
  signingKey: SigningKey;
  notifier: Notifier;
  rateLimits: RateLimiter;
  accountEvents: AccountEvents;
  log: Logger;
  /** Federation's hook: every local event, inside the transaction that stores it. */
  onLocalEvent?: EventsDeps["onLocalEvent"];
}

export function buildRoomServices(deps: RoomServiceDeps) {
  const { config, storage, clock, notifier } = deps;
  const now = () => clock.now();
  const serverName = config.server_name;

  const state = createStateService(storage);
  const eventStore = createEventStore(storage);
  const heads = createRoomHeads(storage, config.room_cache_capacity);
  const invalidate = () => {
    heads.invalidate();
    state.invalidate();
    eventStore.invalidate();
  };
  const queue = createRoomQueue({
    transaction: (fn) => storage.transaction(fn),
    onRollback: invalidate,
    isRefusal: (e) => e instanceof MatrixError,
  });
  const builder = createEventBuilder({ serverName, signingKey: deps.signingKey, eventStore, now });
  const persister = createEventPersister({
    storage,
    state,
    eventStore,
    now,
    onCurrentStateChange: (roomId, changed) => guestAccess.onCurrentStateChange(roomId, changed),
  });
  const events = createEventsService({
    storage,
    queue,
    heads,
    state,
    eventStore,
    builder,
    persister,
    notifier,
    allowEncryption: config.allow_encryption,
    onLocalEvent: deps.onLocalEvent,
  });
  const clientEvents = createClientEvents({ storage, eventStore, now });
  const visibility = createVisibility({ storage, state, eventStore });
  const summaries = createRoomSummaries({ storage, state, eventStore });
  const directory = createDirectoryService({ storage, state, eventStore, summaries, visibility, serverName, now });
  const rooms = createRoomsService({
    storage,
    state,
    eventStore,
    events,
    heads,
    visibility,
    clientEvents,
    directory,
    takeMessageToken: (userId) => deps.rateLimits.take("message", userId),
  });
  const roomCreation = createRoomCreation({ config, storage, queue, heads, builder, persister, events, invalidate, now });
  const membership = createMembershipService({
    storage,
    events,
    serverName,
    resolveRoom: (r) => directory.resolveRoom(r),
    guestsCanJoin: (r) => summaries.summary(r)?.guest_can_join === true,
  });
  const guestAccess = createGuestAccessEnforcer({ storage, queue, heads, state, eventStore, events, serverName, log: deps.log });
  const timeline = createTimeline({ storage, state, visibility, clientEvents });
  const roomUpgrades = createRoomUpgrades({ storage, state, eventStore, events, roomCreation });

  // Spec "Events on Change of Profile Information": a new displayname or avatar is announced in
  // every joined room; a deactivated account leaves its rooms.
  deps.accountEvents.subscribe(async (event) => {
    if (event.type === "profile") await membership.refreshProfile(event.userId);
    else await membership.leaveAll(event.userId);
  });

  return {
    // The persistence path, for federation's remote events: on `roomQueue` (runExclusive while it
    // resolves state), `persister.persist(roomHeads.get(roomId), {pdu, stateBefore, ...})`.
    roomQueue: queue,
    roomHeads: heads,
    eventBuilder: builder,
    roomState: state,
    eventStore,
    events,
    persister,
    clientEvents,
    visibility,
    directory,
    rooms,
    roomCreation,
    membership,
    timeline,
    roomUpgrades,
  };
}
export type RoomServices = ReturnType<typeof buildRoomServices>;
