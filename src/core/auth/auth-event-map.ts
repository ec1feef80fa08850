/**
 * The room state an event is authorised against, keyed by `(type, state_key)`: either the event's
 * own `auth_events` or the matching subset of some room state. Helpers read the few facts the
 * rules ask about (memberships, the join rule, the create event).
 */
import type { Pdu, StateKey } from "../types.ts";
import { stateKeyOf } from "../types.ts";

export type AuthEventMap = ReadonlyMap<StateKey, Pdu>;

/** Indexes events by `(type, state_key)`; events without a `state_key` are ignored. */
export function authEventMapOf(events: Iterable<Pdu>): Map<StateKey, Pdu> {
  const map = new Map<StateKey, Pdu>();
  for (const event of events) {
    if (typeof event.state_key === "string") map.set(stateKeyOf(event.type, event.state_key), event);
  }
  return map;
}

export function stateEvent(state: AuthEventMap, type: string, stateKey = ""): Pdu | undefined {
  return state.get(stateKeyOf(type, stateKey));
}

/** A user's current membership (`join`, `invite`, `leave`, `ban`, `knock`) or undefined if none. */
export function membershipOf(state: AuthEventMap, userId: string): string | undefined {
  return membershipIn(stateEvent(state, "m.room.member", userId));
}

export function membershipIn(event: Pdu | undefined): string | undefined {
  const membership = event?.content.membership;
  return typeof membership === "string" ? membership : undefined;
}

/** The room's join rule; a room without a valid `m.room.join_rules` behaves as `invite`. */
export function joinRuleOf(state: AuthEventMap): string {
  const joinRule = stateEvent(state, "m.room.join_rules")?.content.join_rule;
  return typeof joinRule === "string" ? joinRule : "invite";
}
