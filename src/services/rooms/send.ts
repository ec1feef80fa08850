/**
 * The event creation pipeline for local senders, on the room's queue: answer a known transaction
 * id with its event, and a state event identical to the current one with that one; else build the
 * PDU on the room head, authorise it, persist it with everything it changes in the queue's
 * transaction, and wake the /sync long-polls of the members once it has committed.
 */
import { canonicalJson } from "../../core";
import { stateKeyOf, type JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { BuiltEvent, EventBuilder, EventDraft } from "./event-builder";
import type { EventPersister, SendOrigin } from "./persister";
import type { EventStore } from "./event-store";
import { forbidden } from "../matrix-error";
import type { Notifier } from "../sync/notifier";
import type { RoomHead, RoomHeads } from "./heads";
import type { RoomQueue, TaskContext } from "./queue";
import type { StateMap, StateService } from "./state";

export interface SentEvent {
  eventId: string;
  stream: number;
}

const EMPTY_STATE: StateMap = new Map();

export interface EventsDeps {
  storage: Storage;
  queue: RoomQueue;
  heads: RoomHeads;
  state: StateService;
  eventStore: EventStore;
  builder: EventBuilder;
  persister: EventPersister;
  notifier: Notifier;
  /** `allow_encryption = false`: no local event may turn encryption on (existing rooms keep it). */
  allowEncryption: boolean;
}

/** Told of every local event in the transaction that stores it (federation queues it there). */
export type LocalEventListener = (head: RoomHead, pdu: BuiltEvent) => void;

export function createEventsService(deps: EventsDeps) {
  const { storage, queue, heads, state, builder, persister, notifier } = deps;
  const listeners: LocalEventListener[] = [];

  /** Builds, authorises and persists one local event; runs inside a room-queue task. */
  function append(head: RoomHead, draft: EventDraft, ctx: TaskContext, origin: SendOrigin = {}): SentEvent {
    if (!deps.allowEncryption && draft.type === "m.room.encryption") {
      throw forbidden("Encryption is disabled on this server (allow_encryption = false)");
    }
    const current = head.stateGroup === null ? EMPTY_STATE : state.stateOfGroup(head.stateGroup);
    const { pdu, json } = builder.build(head, current, draft);
    const persisted = persister.persist(head, { pdu, json, stateBefore: head.stateGroup, ...origin });
    for (const listener of listeners) listener(head, pdu);
    ctx.afterCommit(() => notifier.wakeUsers(persisted.wake));
    return { eventId: persisted.eventId, stream: persisted.stream };
  }

  /**
   * The current state event that `draft` would merely repeat: same key, same sender, same content
   * (by canonical JSON). Synapse answers such a request with the existing event instead of adding
   * a no-op to the room, for state and membership alike (e.g. setting the same displayname). A
   * redacted event is not repeated by anything a client sends: clients see its content stripped.
   */
  function repeatedState(head: RoomHead, draft: EventDraft): SentEvent | null {
    if (draft.state_key === undefined || head.stateGroup === null) return null;
    const id = state.stateOfGroup(head.stateGroup).get(stateKeyOf(draft.type, draft.state_key));
    const row = id === undefined ? null : storage.events.get(id);
    if (!row || row.sender !== draft.sender || row.redacted_by !== null) return null;
    return sameContent(deps.eventStore.pduOf(row).content, draft.content) ? { eventId: row.event_id, stream: row.stream_ordering } : null;
  }

  /** On the room's queue: the current state event that `draft` repeats, else a new event. */
  function sendOnQueue(roomId: string, draft: EventDraft, ctx: TaskContext, origin?: SendOrigin): SentEvent {
    const head = heads.get(roomId);
    if (!head) throw forbidden(`${draft.sender} is not in room ${roomId}`);
    return repeatedState(head, draft) ?? append(head, draft, ctx, origin);
  }

  return {
    append,

    /** Subscribes to every local event, called inside the transaction that stores it. */
    onLocalEvent(listener: LocalEventListener): void {
      listeners.push(listener);
    },

    /**
     * Sends a local event into a room this server knows and returns it once committed. A state
     * event identical to the current one returns the current one.
     */
    send(roomId: string, draft: EventDraft, origin?: SendOrigin): Promise<SentEvent> {
      return queue.run(roomId, (ctx) => sendOnQueue(roomId, draft, ctx, origin));
    },

    /**
     * Sends at most one event per transaction id: a retry of the request gets the first event
     * without `prepare` running again. Otherwise `prepare` checks the request (throwing to refuse
     * it; it runs on the room's queue, so it must not write) and returns the event to send. Both
     * happen on the queue, so concurrent retries cannot both send, and the look-up shares the
     * queue's transaction (several times cheaper than a read of its own). Without a transaction
     * id (the older POST forms of send and redact) every request sends.
     */
    sendOnce(origin: SendOrigin, roomId: string, prepare: () => EventDraft): Promise<SentEvent> {
      const { txn } = origin;
      return queue.run(roomId, (ctx) => {
        const eventId = txn && storage.txnIds.eventFor(txn.userId, txn.deviceId, txn.endpoint, txn.txnId);
        if (eventId) return { eventId, stream: storage.events.get(eventId)?.stream_ordering ?? 0 };
        return sendOnQueue(roomId, prepare(), ctx, origin);
      });
    },
  };
}
export type EventsService = ReturnType<typeof createEventsService>;

/** Whether two contents are the same JSON; content canonical JSON cannot encode is never the same. */
function sameContent(a: JsonObject, b: JsonObject): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}
