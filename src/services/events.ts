/**
 * The event creation pipeline for local senders: on the room's queue, replay a known transaction
 * id, answer a state event identical to the current one with that one, else build the PDU on the
 * room head, authorise it, persist it with everything it changes in the queue's transaction, and
 * wake the /sync long-polls of the members once it has committed.
 */
import { canonicalJson } from "../core";
import { stateKeyOf, type JsonObject } from "../core/types";
import type { Storage } from "../storage";
import type { BuiltEvent, EventBuilder, EventDraft } from "./event-builder";
import type { EventPersister, TxnRecord } from "./event-persister";
import type { EventStore } from "./event-store";
import { forbidden } from "./matrix-error";
import type { Notifier } from "./notifier";
import type { RoomHead, RoomHeads } from "./room-heads";
import type { RoomQueue, TaskContext } from "./room-queue";
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
  /** Called in the same transaction for every local event stored (federation queues it). */
  onLocalEvent?: (head: RoomHead, pdu: BuiltEvent) => void;
}

export function createEventsService(deps: EventsDeps) {
  const { storage, queue, heads, state, builder, persister, notifier } = deps;

  /** Builds, authorises and persists one local event; runs inside a room-queue task. */
  function append(head: RoomHead, draft: EventDraft, ctx: TaskContext, txn?: TxnRecord): SentEvent {
    const current = head.stateGroup === null ? EMPTY_STATE : state.stateOfGroup(head.stateGroup);
    const { pdu, json } = builder.build(head, current, draft);
    const persisted = persister.persist(head, { pdu, json, stateBefore: head.stateGroup, txn });
    deps.onLocalEvent?.(head, pdu);
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

  /** The event a transaction id already produced, if any. */
  function replayed(txn: TxnRecord | undefined): SentEvent | null {
    if (!txn) return null;
    const eventId = storage.txnIds.eventFor(txn.userId, txn.deviceId, txn.endpoint, txn.txnId);
    if (eventId === null) return null;
    return { eventId, stream: storage.events.get(eventId)?.stream_ordering ?? 0 };
  }

  return {
    append,

    /**
     * Sends a local event into a room this server knows. With `txn`, a retry of the same request
     * returns the first event instead of sending twice (checked on the queue, so concurrent retries
     * cannot both send). A state event identical to the current one returns the current one.
     */
    send(roomId: string, draft: EventDraft, txn?: TxnRecord): Promise<SentEvent> {
      return queue.run(roomId, (ctx) => {
        const earlier = replayed(txn);
        if (earlier) return earlier;
        const head = heads.get(roomId);
        if (!head) throw forbidden(`${draft.sender} is not in room ${roomId}`);
        return repeatedState(head, draft) ?? append(head, draft, ctx, txn);
      });
    },

    /** The event id a transaction id already produced (answered without queueing). */
    replayed,
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
