/**
 * The auth rules and state resolution as the room pipeline for remote events applies them to
 * stored events: an event's auth events (since v12 with the implied create event), the rules
 * against those or against a state map, and the resolution of several states into one (inline,
 * or in the worker pool when the states are large).
 */
import {
  authCheck,
  authEventTypesFor,
  checkStateDependentAuthRules,
  refId,
  resolveStateSync,
  stateKeyOf,
  type CheckedPdu,
  type Pdu,
  type RoomVersionRules,
  type StateKey,
} from "../../../core";
import type { Storage } from "../../../storage";
import type { StateResolver } from "../../../core";
import { authMapOf } from "../../rooms/auth-inputs";
import type { EventStore } from "../../rooms/event-store";
import type { StateMap } from "../../rooms/state";
import type { RoomView } from "../room-view";

/** States with more entries than this (together) are resolved in the worker pool. */
export const POOL_STATE_SIZE = 2_000;

export function stateKeyOfPdu(pdu: Pdu): StateKey | undefined {
  return typeof pdu.state_key === "string" ? stateKeyOf(pdu.type, pdu.state_key) : undefined;
}

/** `s` with `pdu` applied when it is a state event. */
export function withEvent(s: StateMap, pdu: CheckedPdu): StateMap {
  const key = stateKeyOfPdu(pdu);
  if (!key) return s;
  const next = new Map(s);
  next.set(key, pdu.event_id);
  return next;
}

export function createRoomAuth(deps: { storage: Storage; view: RoomView; eventStore: EventStore; stateResolver?: StateResolver }) {
  const { storage, view, eventStore } = deps;

  const isRejected = (id: string) => storage.events.get(id)?.rejected_reason != null;
  /** Known and placed in the room's graph with its state (not merely an outlier). */
  const hasState = (id: string) => {
    const row = storage.events.get(id);
    return row !== null && row.outlier === 0;
  };

  /** The create event, which since v12 is implied rather than cited, but the rules still need. */
  function createEventFor(roomId: string, rules: RoomVersionRules): Pdu | null {
    if (rules.roomIdIsCreateEventHash) return eventStore.getPdu(`$${roomId.slice(1)}`);
    const id = view.currentState(roomId).get(stateKeyOf("m.room.create", ""));
    return id === undefined ? null : eventStore.getPdu(id);
  }

  /** The PDUs of an event's auth events (plus the implied create event since v12), or what is missing. */
  function authEventsOf(pdu: Pdu, rules: RoomVersionRules): { events: Pdu[]; missing: string[] } {
    const events: Pdu[] = [];
    const missing: string[] = [];
    for (const ref of pdu.auth_events) {
      const event = eventStore.getPdu(refId(ref));
      if (event) events.push(event);
      else missing.push(refId(ref));
    }
    if (rules.roomIdIsCreateEventHash && pdu.type !== "m.room.create") {
      const create = eventStore.getPdu(`$${pdu.room_id.slice(1)}`);
      if (create) events.push(create);
      else missing.push(`$${pdu.room_id.slice(1)}`);
    }
    return { events, missing };
  }

  /** The auth rules against a state map (only the entries the rules look at). */
  function authAgainst(pdu: Pdu, s: StateMap, rules: RoomVersionRules): string | null {
    if (pdu.type === "m.room.create") return null; // judged by its own rule alone (no state before it)
    const keys = authEventTypesFor(pdu.type, pdu.sender, pdu.state_key, pdu.content, rules);
    keys.push(stateKeyOf("m.room.create", ""));
    const map = authMapOf(s, eventStore, keys);
    if (rules.roomIdIsCreateEventHash && !map.has(stateKeyOf("m.room.create", ""))) {
      const create = eventStore.getPdu(`$${pdu.room_id.slice(1)}`);
      if (create) map.set(stateKeyOf("m.room.create", ""), create);
    }
    const verdict = checkStateDependentAuthRules(pdu, map, rules);
    return verdict.allowed ? null : verdict.reason;
  }

  /** Resolves several states into one with the room version's algorithm; `pending` is not stored yet. */
  function resolve(rules: RoomVersionRules, states: readonly StateMap[], pending?: CheckedPdu): StateMap {
    if (states.length === 1) return states[0]!;
    const fetch = (id: string) => (id === pending?.event_id ? pending : (eventStore.getPdu(id) ?? undefined));
    return stateMapOf(resolveStateSync(rules.id, states.map((s) => [...s.values()]), fetch), fetch);
  }

  /** Resolved event ids as a state map. */
  function stateMapOf(ids: readonly string[], fetch: (id: string) => Pdu | undefined): StateMap {
    const out = new Map<StateKey, string>();
    for (const id of ids) {
      const pdu = fetch(id);
      const key = pdu ? stateKeyOfPdu(pdu) : undefined;
      if (key) out.set(key, id);
    }
    return out;
  }

  /** Resolves with the worker pool when the states are large enough to be worth the trip. */
  async function resolveAsync(rules: RoomVersionRules, states: readonly StateMap[]): Promise<StateMap> {
    const pool = deps.stateResolver;
    const size = states.reduce((n, s) => n + s.size, 0);
    if (!pool || states.length < 2 || size < POOL_STATE_SIZE) return resolve(rules, states);
    const fetch = (id: string) => eventStore.getPdu(id) ?? undefined;
    return stateMapOf(await pool.resolveState(rules.id, states.map((s) => [...s.values()]), fetch), fetch);
  }

  /** Step 4: the auth rules against the event's own auth events. */
  function checkAgainstAuthEvents(pdu: Pdu, rules: RoomVersionRules): string | null {
    const { events, missing } = authEventsOf(pdu, rules);
    if (missing.length > 0) return `auth events ${missing.join(", ")} are unknown`;
    const verdict = authCheck(pdu, events, rules.id, { isRejected });
    return verdict.allowed ? null : verdict.reason;
  }

  return {
    isRejected,
    hasState,
    createEventFor,
    authEventsOf,
    authAgainst,
    checkAgainstAuthEvents,
    resolve,
    resolveAsync,
  };
}
export type RoomAuth = ReturnType<typeof createRoomAuth>;
