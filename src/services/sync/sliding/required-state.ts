/**
 * Which state a room config asks for (MSC4186 "required_state"), as one predicate over
 * `(type, state_key)`: included by any config and excluded by none of that config, with `$ME`
 * meaning the requesting user. Lazy members (`$LAZY`, `lazy_members`) are not matched here: the
 * room result adds the members its timeline needs.
 */
import type { RequiredState, RoomConfig, StateElement } from "./request";

export interface StateWanted {
  matches(type: string, stateKey: string): boolean;
  /** Whether some config asks for lazy members (and none for every member). */
  lazyMembers: boolean;
}

function elementMatches(e: StateElement, type: string, stateKey: string, userId: string): boolean {
  if (e.type !== undefined && e.type !== type) return false;
  if (e.stateKey === undefined) return true;
  return (e.stateKey === "$ME" ? userId : e.stateKey) === stateKey;
}

function oneMatches(rs: RequiredState, type: string, stateKey: string, userId: string): boolean {
  return rs.include.some((e) => elementMatches(e, type, stateKey, userId)) && !rs.exclude.some((e) => elementMatches(e, type, stateKey, userId));
}

/** The union of several configs' required state (MSC4186 "Combining room configs"). */
export function combineRequiredState(configs: readonly RequiredState[], userId: string): StateWanted {
  // A config that returns every membership makes lazy loading moot (MSC4186).
  const everyMember = (e: StateElement) => (e.type === undefined || e.type === "m.room.member") && e.stateKey === undefined;
  const allMembers = configs.some((rs) => rs.include.some(everyMember) && !rs.exclude.some((e) => e.type === undefined || e.type === "m.room.member"));
  return {
    matches: (type, stateKey) => configs.some((rs) => oneMatches(rs, type, stateKey, userId)),
    lazyMembers: !allMembers && configs.some((rs) => rs.lazyMembers),
  };
}

/** The combined config of a room matched by several rules: the longest timeline, all the state. */
export function combineConfigs(configs: readonly RoomConfig[]): { timelineLimit: number; requiredState: RequiredState[] } {
  return { timelineLimit: Math.max(0, ...configs.map((c) => c.timelineLimit)), requiredState: configs.map((c) => c.requiredState) };
}
