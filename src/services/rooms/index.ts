/**
 * Wires the rooms area: persistence (queue, heads, state groups, persister), the local send
 * pipeline, and the client-facing room services (actions, timeline, directory, creation,
 * upgrades). Membership is its own area, built over this one and federation.
 */
import type { StateKey } from "../../core";
import { createClientEvents } from "./client-events";
import { createDirectoryService } from "./directory";
import { createEventBuilder } from "./event-builder";
import { createEventPersister } from "./persister";
import { createEventStore } from "./event-store";
import { createGuestAccessEnforcer } from "./guest-access";
import { createEventsService } from "./send";
import { MatrixError } from "../matrix-error";
import { createRoomCreation } from "./creation";
import { createRoomHeads } from "./heads";
import { createRoomQueue } from "./queue";
import { createRoomSummaries } from "./summary";
import { createRoomUpgrades } from "./upgrade";
import { createRoomsService } from "./room-actions";
import { createStateService } from "./state";
import { createTimeline } from "./timeline";
import type { SharedDeps } from "../shared-deps";
import { createVisibility } from "./visibility";
import { createMembershipView } from "./membership-view";
import { createRelationIndex } from "../relations/relation-index";

const MB = 1024 * 1024;

export type RoomsDeps = SharedDeps;

export function buildRooms(deps: RoomsDeps) {
  const { config, storage, clock, notifier } = deps;
  const now = () => clock.now();
  const serverName = config.server_name;

  const state = createStateService(storage, config.state_cache_capacity_mb * MB);
  const eventStore = createEventStore(storage, config.pdu_cache_capacity_mb * MB);
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
  // Other areas follow changes of current state too (E2EE: who still shares a room with whom).
  const stateListeners: ((roomId: string, changed: ReadonlyMap<StateKey, string | null>) => void)[] = [];
  const persister = createEventPersister({
    storage,
    state,
    eventStore,
    relations: createRelationIndex(storage),
    now,
    onCurrentStateChange: (roomId, changed) => {
      guestAccess.onCurrentStateChange(roomId, changed);
      for (const listener of stateListeners) listener(roomId, changed);
    },
  });
  const send = createEventsService({
    storage,
    queue,
    heads,
    state,
    eventStore,
    builder,
    persister,
    notifier,
    allowEncryption: config.allow_encryption,
  });
  const clientEvents = createClientEvents({ storage, eventStore, now });
  const visibility = createVisibility({ storage, state, eventStore });
  const summaries = createRoomSummaries({ storage, state, eventStore });
  const directory = createDirectoryService({ storage, state, eventStore, summaries, visibility, serverName, now, appservices: deps.appserviceRegistry });
  const actions = createRoomsService({
    storage,
    state,
    eventStore,
    events: send,
    heads,
    visibility,
    clientEvents,
    directory,
    takeMessageToken: (userId) => deps.rateLimits.take("message", userId),
  });
  const creation = createRoomCreation({ config, storage, queue, heads, builder, persister, events: send, invalidate, now, rateLimits: deps.rateLimits });
  const guestAccess = createGuestAccessEnforcer({ storage, queue, heads, state, eventStore, events: send, serverName, log: deps.log });
  const timeline = createTimeline({ storage, state, visibility, clientEvents });
  const upgrades = createRoomUpgrades({ storage, state, eventStore, events: send, roomCreation: creation, queue, heads, invalidate });

  return {
    // The persistence path, for federation's remote events: on `queue` (runExclusive while it
    // resolves state), `persister.persist(heads.get(roomId), {pdu, stateBefore, ...})`.
    queue,
    heads,
    state,
    eventStore,
    persister,
    /** Told, inside the persisting transaction, which keys of a room's current state changed. */
    onCurrentStateChange(listener: (roomId: string, changed: ReadonlyMap<StateKey, string | null>) => void): void {
      stateListeners.push(listener);
    },
    builder,
    /** The send pipeline for local events (build, authorise, persist, notify, tell listeners). */
    send,
    clientEvents,
    visibility,
    summaries,
    /** Who is joined where, read-only: for EDUs and /sync. */
    members: createMembershipView(storage),
    directory,
    /** Client operations on one room: messages, state, redactions, members, joined rooms. */
    actions,
    creation,
    timeline,
    upgrades,
  };
}
export type Rooms = ReturnType<typeof buildRooms>;
