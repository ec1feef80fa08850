/**
 * The iterative auth checks of state res v2: events in order, each admitted into the state if it
 * passes the authorization rules against that state. A key the rules need but the state lacks is
 * taken from the event's own auth events.
 */
import { checkStateDependentAuthRules } from "../auth/auth-check.ts";
import { authEventTypesFor } from "../auth/auth-events-selection.ts";
import type { RoomVersionRules } from "../room-versions.ts";
import type { Pdu, StateKey } from "../types.ts";
import type { EventIndex } from "./event-index.ts";
import { roomCreateEventOf } from "./room-create.ts";
import type { StateMap } from "./state-sets.ts";

/** Applies `events` in order to `state` (which is updated and returned). */
export function iterativeAuthChecks(
  index: EventIndex,
  events: readonly number[],
  state: StateMap,
  rules: RoomVersionRules,
): StateMap {
  for (const event of events) {
    const key = index.keyOf(event);
    if (key < 0) continue;
    const pdu = index.events[event]!;
    if (checkStateDependentAuthRules(pdu, authStateFor(index, event, state, rules), rules).allowed) {
      state.set(key, event);
    }
  }
  return state;
}

function authStateFor(index: EventIndex, event: number, state: StateMap, rules: RoomVersionRules): Map<StateKey, Pdu> {
  const authState = new Map<StateKey, Pdu>();
  const add = (authEvent: number) => {
    const key = index.keyOf(authEvent);
    if (key >= 0) authState.set(index.keyName(key), index.events[authEvent]!);
  };
  index.authOf(event).forEach(add);
  // since v12: the create event is implied by the room id rather than cited.
  if (rules.roomIdIsCreateEventHash) {
    const create = roomCreateEventOf(index, event, rules);
    if (create >= 0) add(create);
  }
  const pdu = index.events[event]!;
  for (const stateKey of authEventTypesFor(pdu.type, pdu.sender, pdu.state_key, pdu.content, rules)) {
    const key = index.keyNumber(stateKey);
    const current = key === undefined ? undefined : state.get(key);
    if (current !== undefined) authState.set(stateKey, index.events[current]!);
  }
  return authState;
}
