/**
 * Reading `m.room.power_levels`: parsing its content under the room version's number rules
 * (strings and floats tolerated before v10, integers only since v10), the defaults that apply when
 * a field or the whole event is absent, and the power of a user (creators are infinite since v12).
 */
import type { RoomVersionRules } from "../room-versions.ts";
import type { JsonObject, JsonValue, Pdu } from "../types.ts";
import { isJsonObject } from "../types.ts";
import type { AuthEventMap } from "./auth-event-map.ts";
import { stateEvent } from "./auth-event-map.ts";
import { isValidUserId } from "../ids.ts";
import { isPrivilegedCreator, roomCreatorOf } from "./room-creators.ts";

export const NAMED_LEVELS = [
  "users_default",
  "events_default",
  "state_default",
  "ban",
  "redact",
  "kick",
  "invite",
] as const;
export type NamedLevel = (typeof NAMED_LEVELS)[number];

/** The spec's defaults, used both when a field is missing and when the room has no power levels. */
export const DEFAULT_LEVELS: Readonly<Record<NamedLevel, number>> = Object.freeze({
  users_default: 0,
  events_default: 0,
  state_default: 50,
  ban: 50,
  redact: 50,
  kick: 50,
  invite: 0,
});

/** Power level of the creator of a room that has no `m.room.power_levels` event (v1-v11). */
const CREATOR_DEFAULT_LEVEL = 100;

export interface PowerLevels {
  /** Only the named levels present in content. */
  readonly named: Readonly<Partial<Record<NamedLevel, number>>>;
  readonly users: ReadonlyMap<string, number>;
  readonly events: ReadonlyMap<string, number>;
  readonly notifications: ReadonlyMap<string, number>;
}

export interface ParsedPowerLevels {
  readonly levels: PowerLevels;
  /** Why the content breaks the room version's rules, if it does (invalid entries are left out of `levels`). */
  readonly error?: string;
}

// Until v10 a level may be a string holding an integer, with optional sign and surrounding spaces.
const INTEGER_STRING = /^\s*[+-]?\d+\s*$/;

function toLevel(value: JsonValue, rules: RoomVersionRules): number | undefined {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value)) return value;
    // v1-v5 may hold floats, truncated at the decimal point; since v10 only integers count.
    return !rules.integerPowerLevels && Number.isFinite(value) ? Math.trunc(value) : undefined;
  }
  if (typeof value === "string" && !rules.integerPowerLevels && INTEGER_STRING.test(value)) {
    return Number.parseInt(value, 10);
  }
  return undefined;
}

function describeInvalid(rules: RoomVersionRules): string {
  return rules.integerPowerLevels
    ? "since v10: power level values must be integers"
    : "power level values must be integers or strings holding integers";
}

function parseLevelMap(
  content: JsonObject,
  field: "users" | "events" | "notifications",
  rules: RoomVersionRules,
  errors: string[],
): Map<string, number> {
  const map = new Map<string, number>();
  const value = content[field];
  if (value === undefined) return map;
  if (!isJsonObject(value)) {
    errors.push(`\`${field}\` must be an object of power levels`);
    return map;
  }
  for (const key of Object.keys(value)) {
    if (field === "users" && !isValidUserId(key)) {
      errors.push(`\`users\` key ${JSON.stringify(key)} is not a valid user id`);
      continue;
    }
    const level = toLevel(value[key] as JsonValue, rules);
    if (level === undefined) errors.push(`\`${field}.${key}\`: ${describeInvalid(rules)}`);
    else map.set(key, level);
  }
  return map;
}

function parse(content: JsonObject, rules: RoomVersionRules): ParsedPowerLevels {
  const errors: string[] = [];
  const named: Partial<Record<NamedLevel, number>> = {};
  for (const name of NAMED_LEVELS) {
    const raw = content[name];
    if (raw === undefined) continue;
    const level = toLevel(raw, rules);
    if (level === undefined) errors.push(`\`${name}\`: ${describeInvalid(rules)}`);
    else named[name] = level;
  }
  const levels: PowerLevels = {
    named,
    users: parseLevelMap(content, "users", rules, errors),
    events: parseLevelMap(content, "events", rules, errors),
    notifications: parseLevelMap(content, "notifications", rules, errors),
  };
  return errors.length === 0 ? { levels } : { levels, error: errors[0] };
}

// Parsing depends only on content and on whether the version demands integers; cache both ways.
const strictCache = new WeakMap<JsonObject, ParsedPowerLevels>();
const lenientCache = new WeakMap<JsonObject, ParsedPowerLevels>();

export function parsePowerLevels(content: JsonObject, rules: RoomVersionRules): ParsedPowerLevels {
  const cache = rules.integerPowerLevels ? strictCache : lenientCache;
  let parsed = cache.get(content);
  if (!parsed) {
    parsed = parse(content, rules);
    cache.set(content, parsed);
  }
  return parsed;
}

function levelsIn(state: AuthEventMap, rules: RoomVersionRules): PowerLevels | undefined {
  const event = stateEvent(state, "m.room.power_levels");
  return event && parsePowerLevels(event.content, rules).levels;
}

/** A named level (`ban`, `invite`, …) in force, with the spec default when absent. */
export function namedLevelOf(name: NamedLevel, state: AuthEventMap, rules: RoomVersionRules): number {
  return levelsIn(state, rules)?.named[name] ?? DEFAULT_LEVELS[name];
}

/**
 * The power of a user under the given state. Since v12 creators are infinitely powerful; without
 * a power levels event the creator has 100 and everyone else 0.
 */
export function powerLevelOf(userId: string, state: AuthEventMap, rules: RoomVersionRules): number {
  return powerLevelFrom(userId, stateEvent(state, "m.room.power_levels"), stateEvent(state, "m.room.create"), rules);
}

/** As `powerLevelOf`, given the power levels and create events directly (state resolution's ordering uses it). */
export function powerLevelFrom(
  userId: string,
  powerLevels: Pdu | undefined,
  create: Pdu | undefined,
  rules: RoomVersionRules,
): number {
  if (isPrivilegedCreator(userId, create, rules)) return Infinity;
  if (powerLevels) return userLevelIn(parsePowerLevels(powerLevels.content, rules).levels, userId);
  return create !== undefined && roomCreatorOf(create, rules) === userId ? CREATOR_DEFAULT_LEVEL : 0;
}

export function userLevelIn(levels: PowerLevels, userId: string): number {
  return levels.users.get(userId) ?? levels.named.users_default ?? DEFAULT_LEVELS.users_default;
}

/** The spec's "required power level" to send an event of this type (state or not). */
export function requiredPowerLevel(type: string, isState: boolean, state: AuthEventMap, rules: RoomVersionRules): number {
  const levels = levelsIn(state, rules);
  const explicit = levels?.events.get(type);
  if (explicit !== undefined) return explicit;
  const fallback: NamedLevel = isState ? "state_default" : "events_default";
  return levels?.named[fallback] ?? DEFAULT_LEVELS[fallback];
}
