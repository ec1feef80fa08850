/**
 * State resolution v1 (room version 1): conflicts are settled in passes, power levels first, then
 * join rules, then memberships (each the longest run of events, oldest first, that keeps passing
 * the auth rules), then everything else (the deepest event that passes). It is known to reset
 * state in some forks; v2 replaced it.
 */
import { createHash } from "node:crypto";
import { checkStateDependentAuthRules } from "../auth/auth-check.ts";
import { authEventTypesFor } from "../auth/auth-events-selection.ts";
import type { RoomVersionRules } from "../room-versions.ts";
import type { Pdu, StateKey } from "../types.ts";
import { stateKeyOf } from "../types.ts";
import type { EventIndex } from "./event-index.ts";
import type { StateMap } from "./state-sets.ts";
import { splitStateMaps } from "./state-sets.ts";

const POWER_LEVELS_KEY = stateKeyOf("m.room.power_levels", "");

export function resolveV1(index: EventIndex, maps: readonly StateMap[], rules: RoomVersionRules): StateMap {
  if (maps.length === 1) return new Map(maps[0]);
  // In v1 only differing events conflict; a key some sets lack is not a conflict.
  const { unconflicted, conflicted } = splitStateMaps(index, maps, false);
  const resolved: StateMap = new Map(unconflicted);
  if (conflicted.size === 0) return resolved;

  // The conflicted events are authorised against the unconflicted state, grown pass by pass.
  const authState = new Map<StateKey, Pdu>();
  for (const events of conflicted.values()) {
    for (const event of events) {
      const pdu = index.events[event]!;
      for (const stateKey of authEventTypesFor(pdu.type, pdu.sender, pdu.state_key, pdu.content, rules)) {
        const key = index.keyNumber(stateKey);
        const current = key === undefined ? undefined : unconflicted.get(key);
        if (current !== undefined && !authState.has(stateKey)) authState.set(stateKey, index.events[current]!);
      }
    }
  }
  const settle = (key: number, winner: number) => {
    resolved.set(key, winner);
    authState.set(index.keyName(key), index.events[winner]!);
  };
  const typeOf = (key: number) => index.events[conflicted.get(key)![0]!]!.type;

  const powerLevelsKey = index.keyNumber(POWER_LEVELS_KEY);
  const powerLevels = powerLevelsKey === undefined ? undefined : conflicted.get(powerLevelsKey);
  if (powerLevels) settle(powerLevelsKey!, resolveAuthConflict(index, powerLevels, authState, rules));
  for (const type of ["m.room.join_rules", "m.room.member"]) {
    const winners: Array<[number, number]> = [];
    for (const [key, events] of conflicted) {
      if (typeOf(key) === type) winners.push([key, resolveAuthConflict(index, events, authState, rules)]);
    }
    for (const [key, winner] of winners) settle(key, winner);
  }
  for (const [key, events] of conflicted) {
    if (key === powerLevelsKey || typeOf(key) === "m.room.join_rules" || typeOf(key) === "m.room.member") continue;
    resolved.set(key, resolveOtherConflict(index, events, authState, rules));
  }
  return resolved;
}

/** Deepest first, then by ascending SHA-1 of the event id. */
function orderedByDepth(index: EventIndex, events: readonly number[]): number[] {
  const sha1 = new Map(events.map((event) => [event, createHash("sha1").update(index.eventIds[event]!).digest("hex")]));
  return [...events].sort((a, b) => {
    const depthDifference = index.events[b]!.depth - index.events[a]!.depth;
    if (depthDifference !== 0) return depthDifference;
    return sha1.get(a)! < sha1.get(b)! ? -1 : 1;
  });
}

/** From the shallowest event on, keep taking the next while it passes against its predecessor. */
function resolveAuthConflict(index: EventIndex, events: readonly number[], authState: ReadonlyMap<StateKey, Pdu>, rules: RoomVersionRules): number {
  const [first, ...rest] = orderedByDepth(index, events).reverse();
  const candidateState = new Map(authState);
  let winner = first!;
  for (const event of rest) {
    candidateState.set(index.keyName(index.keyOf(winner)), index.events[winner]!);
    if (!checkStateDependentAuthRules(index.events[event]!, candidateState, rules).allowed) return winner;
    winner = event;
  }
  return winner;
}

/** The deepest event that passes; the shallowest when none does. */
function resolveOtherConflict(index: EventIndex, events: readonly number[], authState: ReadonlyMap<StateKey, Pdu>, rules: RoomVersionRules): number {
  const ordered = orderedByDepth(index, events);
  for (const event of ordered) {
    if (checkStateDependentAuthRules(index.events[event]!, authState, rules).allowed) return event;
  }
  return ordered[ordered.length - 1]!;
}
