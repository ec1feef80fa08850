/**
 * Persists one event whose state-before is already known: the event row, its prev-event edges, the
 * forward extremities, its state group, redactions, its relation, the room's current state and
 * memberships, and the client's transaction id, all inside the caller's transaction (the room queue's). It does not
 * assume the event is local: federation passes remote events with their resolved state-before
 * (`roomState.groupForState(roomId, resolved, baseGroup)`), flags for outliers, rejected and
 * soft-failed events, and `currentStateGroup` when the room's forks were resolved anew. Call it on
 * the room's queue (`roomQueue.run`, or `runExclusive` around async state resolution) inside a
 * transaction, with the room's head from `roomHeads.get(roomId)`.
 */
import { canonicalJson, wireForm } from "../../core";
import { refId, stateKeyOf, type Pdu, type StateKey } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventStore } from "./event-store";
import { setJoined, type RoomHead } from "./heads";
import { diffState, toEntries, type StateMap, type StateService } from "./state";
import { redactionAllowed, redactsOf } from "./redactions";
import type { RelationIndex } from "../relations/relation-index";

export interface TxnRecord {
  userId: string;
  deviceId: string;
  endpoint: string;
  txnId: string;
}

export interface PersistRequest {
  pdu: Pdu & { event_id: string };
  /** The PDU's canonical JSON as stored, when the caller already has it (local events). */
  json?: string;
  /** State group before the event; null for an outlier and for the create event. */
  stateBefore: number | null;
  outlier?: boolean;
  /** Set when the event failed authorization: stored for the graph, never used for state. */
  rejectedReason?: string;
  /** Passed auth against its own state but not the current state: stored, not shown, not current. */
  softFailed?: boolean;
  /**
   * Federation backfill: history from before what this server held. Placed by depth for
   * /messages, below every stream position for /sync; it changes neither the current state nor
   * the forward extremities.
   */
  backfilled?: boolean;
  /**
   * The room's current state after this event when it is not simply the state after the event
   * (federation: the resolution of the previous current state with it).
   */
  currentStateGroup?: number;
  txn?: TxnRecord;
  /** The delayed event (MSC4140) this local event was sent from. */
  delayId?: string;
}

/** Where a local event came from: the client transaction or the delayed event that sent it. */
export type SendOrigin = Pick<PersistRequest, "txn" | "delayId">;

export interface Persisted {
  eventId: string;
  stream: number;
  stateAfter: number | null;
  /**
   * Users whose /sync should wake: joined members before and after, and a membership's target.
   * Read once the transaction has committed.
   */
  wake: Iterable<string>;
}

/** An event that entered its room's timeline (not an outlier, rejected, soft-failed or backfilled). */
export interface TimelineEvent {
  head: RoomHead;
  pdu: Pdu & { event_id: string };
  stream: number;
  /** The state group before the event (null only for the create event). */
  stateBefore: number | null;
  /** Who was joined before the event; read while the listeners run, not kept. */
  joinedBefore: Members;
}

/** Joined members, as the listeners of a timeline event read them. */
export interface Members {
  has(userId: string): boolean;
  readonly size: number;
  /** Each member (quicker than the iterator over a big room's members). */
  forEach(visit: (userId: string) => void): void;
  [Symbol.iterator](): Iterator<string>;
}

/**
 * The members before an event whose own membership is the only change to them: the members now,
 * with its target as it was. Valid until the next event changes `joined`, so no copy of a big room's
 * members is made per join.
 */
function membersBefore(joined: ReadonlySet<string>, target: string, wasJoined: boolean): Members {
  return {
    has: (userId) => (userId === target ? wasJoined : joined.has(userId)),
    get size() {
      return joined.size - (joined.has(target) ? 1 : 0) + (wasJoined ? 1 : 0);
    },
    forEach(visit) {
      for (const userId of joined) if (userId !== target) visit(userId);
      if (wasJoined) visit(target);
    },
    *[Symbol.iterator]() {
      for (const userId of joined) if (userId !== target) yield userId;
      if (wasJoined) yield target;
    },
  };
}

/**
 * Whom an event wakes. When the joined members change by the event's own membership at most, the
 * members at commit time and the target cover everyone joined before or after it (a member who
 * leaves in a later event of the same transaction is that event's target), so no copy of the
 * members is kept: a transaction of 2,000 joins to a 20,000-member room held a copy per join until
 * it committed, gigabytes (bench/big-join.bench.ts). When state resolution moved the current state
 * further, those joined before are kept as they were. Other events wake the members at commit time.
 */
function wakeFor(head: RoomHead, target: string | undefined, joinedBefore: Members, ownMembershipOnly: boolean): Iterable<string> {
  if (target === undefined) return head.joined;
  if (ownMembershipOnly) {
    return {
      *[Symbol.iterator]() {
        yield* head.joined;
        yield target!;
      },
    };
  }
  const everyone = new Set(joinedBefore);
  for (const u of head.joined) everyone.add(u);
  everyone.add(target);
  return everyone;
}

export function createEventPersister(deps: {
  storage: Storage;
  state: StateService;
  eventStore: EventStore;
  relations: RelationIndex;
  now: () => number;
  /**
   * Told, inside the transaction, which keys of a room's current state an event changed (for work
   * that must follow a change once it is committed, such as removing guests).
   */
  onCurrentStateChange?: (roomId: string, changed: ReadonlyMap<StateKey, string | null>) => void;
}) {
  const { storage, state, eventStore } = deps;
  const timelineListeners: ((event: TimelineEvent) => void)[] = [];

  /** Applies the changes between two current states to the current_state and memberships tables. */
  function moveCurrentState(head: RoomHead, fromGroup: number | null, toGroup: number, knownDelta?: Map<StateKey, string | null>): void {
    const delta = knownDelta ?? diffState(fromGroup === null ? new Map() : state.stateOfGroup(fromGroup), state.stateOfGroup(toGroup));
    const entries = toEntries(delta);
    storage.state.updateCurrentState(head.roomId, entries);
    for (const e of entries) {
      if (e.type !== "m.room.member" || e.event_id === null) continue;
      const row = storage.events.get(e.event_id);
      if (!row || row.membership === null) continue;
      storage.memberships.set(head.roomId, e.state_key, row.membership, row.event_id, row.stream_ordering, row.sender);
      setJoined(head, e.state_key, row.membership === "join");
    }
    storage.rooms.setStateGroup(head.roomId, toGroup);
    head.stateGroup = toGroup;
    deps.onCurrentStateChange?.(head.roomId, delta);
  }

  function applyRedaction(redactionId: string, target: string, head: RoomHead, beforeRedaction: StateMap | null): void {
    const { roomId, rules } = head;
    const targetRow = storage.events.get(target);
    if (!targetRow || targetRow.room_id !== roomId) return;
    const redaction = eventStore.getPdu(redactionId);
    // Both in this room: a redaction stored first cannot reach an event that later arrives in another.
    if (!redaction || redaction.room_id !== roomId || !beforeRedaction) return;
    if (redactionAllowed(redaction, eventStore.pduOf(targetRow), beforeRedaction, eventStore, rules)) {
      storage.events.setRedactedBy(target, redactionId);
      deps.relations.remove(target);
    }
  }

  return {
    /** Persists `req` for the room whose head is `head`; runs inside the caller's transaction. */
    persist(head: RoomHead, req: PersistRequest): Persisted {
      const { pdu } = req;
      const isState = typeof pdu.state_key === "string";
      const counts = !req.outlier && !req.rejectedReason;
      const key = isState ? stateKeyOf(pdu.type, pdu.state_key!) : undefined;

      let stateAfter = req.stateBefore;
      let replaces: string | null = null;
      let ownDelta: Map<StateKey, string | null> | undefined;
      if (!req.outlier && key !== undefined) {
        replaces = req.stateBefore === null ? null : (state.stateOfGroup(req.stateBefore).get(key) ?? null);
        if (counts) {
          ownDelta = new Map([[key, pdu.event_id]]);
          stateAfter = state.createGroup(head.roomId, req.stateBefore, ownDelta);
        }
      }
      const membership = pdu.type === "m.room.member" && typeof pdu.content.membership === "string" ? pdu.content.membership : null;
      const { event_id } = pdu;
      const json = req.json ?? canonicalJson(wireForm(pdu, head.rules));
      const stream = storage.events.insert({
        event_id,
        room_id: head.roomId,
        depth: pdu.depth,
        type: pdu.type,
        state_key: isState ? pdu.state_key! : null,
        sender: pdu.sender,
        origin_server_ts: pdu.origin_server_ts,
        membership,
        json,
        outlier: req.outlier ?? false,
        rejected_reason: req.rejectedReason ?? null,
        soft_failed: req.softFailed ?? false,
        state_before: req.stateBefore,
        state_after: stateAfter,
        replaces_state: replaces,
        received_ts: deps.now(),
        txn_device_id: req.txn?.deviceId ?? null,
        txn_id: req.txn?.txnId ?? null,
        delay_id: req.delayId ?? null,
      }, { backfilled: req.backfilled });
      eventStore.remember(pdu, json.length);

      const prevIds = pdu.prev_events.map(refId);
      const target = membership !== null ? pdu.state_key! : undefined;
      // Only a membership change alters who is joined; a copy of the (possibly large) set is made
      // only when state resolution moves the current state further than the event's own key.
      let joinedBefore: Members = target === undefined ? head.joined : membersBefore(head.joined, target, head.joined.has(target));
      // Whether the room's joined members change by this event's own membership at most.
      let ownMembershipOnly = true;
      if (counts && !req.softFailed && !req.backfilled) {
        storage.events.replaceExtremities(head.roomId, prevIds, event_id);
        head.extremities = [...head.extremities.filter((id) => !prevIds.includes(id)), event_id];
        head.depth = Math.max(head.depth, pdu.depth);
        const currentGroup = req.currentStateGroup ?? stateAfter;
        if (currentGroup !== null && currentGroup !== head.stateGroup) {
          // The common local case: the event extends the current state by its own key.
          const known = req.currentStateGroup === undefined && req.stateBefore === head.stateGroup ? ownDelta : undefined;
          ownMembershipOnly = known !== undefined;
          if (target !== undefined && !ownMembershipOnly) joinedBefore = new Set(head.joined);
          moveCurrentState(head, head.stateGroup, currentGroup, known);
        }
      }

      if (counts) {
        if (!req.softFailed) deps.relations.add(head.roomId, pdu, stream);
        const before = req.stateBefore === null ? null : state.stateOfGroup(req.stateBefore);
        const target = pdu.type === "m.room.redaction" ? redactsOf(pdu, head.rules) : undefined;
        if (target !== undefined) {
          storage.events.insertRedaction(event_id, target, head.roomId);
          applyRedaction(event_id, target, head, before);
        }
        // A redaction that arrived before this event applies now.
        for (const redactionId of storage.events.redactionsOf(event_id)) {
          const redactionRow = storage.events.get(redactionId);
          const redactionBefore = redactionRow?.state_before == null ? null : state.stateOfGroup(redactionRow.state_before);
          applyRedaction(redactionId, event_id, head, redactionBefore);
        }
      }

      if (req.txn) {
        const { userId, deviceId, endpoint, txnId } = req.txn;
        storage.txnIds.insert(userId, deviceId, endpoint, txnId, event_id, deps.now());
      }
      if (counts && !req.softFailed && !req.backfilled) {
        for (const listener of timelineListeners) listener({ head, pdu, stream, stateBefore: req.stateBefore, joinedBefore });
      }
      return { eventId: event_id, stream, stateAfter, wake: wakeFor(head, target, joinedBefore, ownMembershipOnly) };
    },

    /** Subscribes to every event entering a timeline; listeners run inside the persisting transaction. */
    onTimelineEvent(listener: (event: TimelineEvent) => void): void {
      timelineListeners.push(listener);
    },
  };
}
export type EventPersister = ReturnType<typeof createEventPersister>;
