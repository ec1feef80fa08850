/**
 * Authorization rule 10 (v3+ numbering; 9 in v6-v11): what a new `m.room.power_levels` event may
 * contain and which levels its sender may change.
 */
import type { RoomVersionRules } from "../room-versions.ts";
import type { Pdu } from "../types.ts";
import type { AuthEventMap } from "./auth-event-map.ts";
import { stateEvent } from "./auth-event-map.ts";
import type { AuthResult } from "./auth-result.ts";
import { ALLOWED, reject } from "./auth-result.ts";
import { NAMED_LEVELS, parsePowerLevels } from "./power-levels.ts";
import { privilegedCreatorsOf } from "./room-creators.ts";

export function checkPowerLevelsEvent(
  pdu: Pdu,
  state: AuthEventMap,
  rules: RoomVersionRules,
  senderLevel: number,
): AuthResult {
  // 10.1-10.3: well-formed levels (integers only since v10) and user ids as `users` keys.
  const proposed = parsePowerLevels(pdu.content, rules);
  if (proposed.error) return reject(`m.room.power_levels: ${proposed.error}`);
  const next = proposed.levels;
  // since v12 (10.4): creators hold infinite power and cannot be listed.
  const create = stateEvent(state, "m.room.create");
  if (rules.privilegedCreators && create) {
    for (const creator of privilegedCreatorsOf(create)) {
      if (next.users.has(creator)) return reject(`since v12: room creator ${creator} must not appear in users`);
    }
  }
  // 10.5: the first power levels event may set anything.
  const currentEvent = stateEvent(state, "m.room.power_levels");
  if (!currentEvent) return ALLOWED;
  const current = parsePowerLevels(currentEvent.content, rules).levels;

  // 10.6: a changed named level may neither be nor become higher than the sender's level.
  for (const name of NAMED_LEVELS) {
    const before = current.named[name];
    const after = next.named[name];
    if (before === after) continue;
    if ((before !== undefined && before > senderLevel) || (after !== undefined && after > senderLevel)) {
      return reject(`m.room.power_levels: changing ${name} needs a power level of at least the old and new values`);
    }
  }
  // 10.7-10.8: the same for `events`, and since v6 for `notifications`.
  const maps: Array<["events" | "notifications", ReadonlyMap<string, number>, ReadonlyMap<string, number>]> = [
    ["events", current.events, next.events],
  ];
  if (rules.limitNotificationsPowerLevels) maps.push(["notifications", current.notifications, next.notifications]);
  for (const [field, before, after] of maps) {
    const key = firstChange(before, after, (old, updated) => (old ?? -Infinity) > senderLevel || (updated ?? -Infinity) > senderLevel);
    if (key !== undefined) return reject(`m.room.power_levels: the sender may not change ${field}.${key}`);
  }
  // 10.9-10.10: other users' entries may only be changed if they are below the sender; no entry may exceed the sender.
  const user = firstChange(current.users, next.users, (old, updated, userId) =>
    (userId !== pdu.sender && old !== undefined && old >= senderLevel) || (updated ?? -Infinity) > senderLevel,
  );
  if (user !== undefined) return reject(`m.room.power_levels: the sender may not change the power level of ${user}`);
  return ALLOWED;
}

/** The first key added, changed or removed between two level maps for which `forbidden` holds. */
function firstChange(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  forbidden: (old: number | undefined, updated: number | undefined, key: string) => boolean,
): string | undefined {
  const keys = new Set([...before.keys(), ...after.keys()]);
  for (const key of keys) {
    const old = before.get(key);
    const updated = after.get(key);
    if (old !== updated && forbidden(old, updated, key)) return key;
  }
  return undefined;
}
