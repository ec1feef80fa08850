/**
 * Authorization rules for m.room.power_levels events (rule 10 in v1-v5 and v12, rule 9 in v6-v11):
 * content validity (integers only since v10, no creators since v12) and which changes a sender may
 * make, in room versions 1, 3, 8, 10, 11 and 12.
 */
import type { JsonObject, Pdu } from "../../../src/core/types.ts";
import type { RuleCase, Scenario, TestRoom, TestedVersion } from "./fixtures.ts";
import { ALICE, BOB, CAROL, DAVE, only, testRules } from "./fixtures.ts";

type Numbers = Partial<Record<TestedVersion, string>>;
/** Sub-rule numbers: v1/v3 under 10, v8 under 9 (old list), v10/v11 under 9 and v12 under 10 (new lists). */
function pl(oldList: number | string | undefined, newList: number | string | undefined, v12 = newList === undefined ? undefined : bump(newList)): Numbers {
  const numbers: Numbers = {};
  if (oldList !== undefined) Object.assign(numbers, { 1: `10.${oldList}`, 3: `10.${oldList}`, 8: `9.${oldList}` });
  if (newList !== undefined) Object.assign(numbers, { 10: `9.${newList}`, 11: `9.${newList}` });
  if (v12 !== undefined) numbers[12] = `10.${v12}`;
  return numbers;
}
/** v12 inserted 10.4 (creators), shifting the later sub-rules by one. */
function bump(rule: number | string): string {
  const [head, ...rest] = String(rule).split(".");
  const n = Number(head);
  return [n >= 4 ? n + 1 : n, ...rest].join(".");
}

/** The baseline power levels content with `changes` applied, sent by `sender`. */
function powerLevelsChange(room: TestRoom, sender: string, changes: JsonObject, users: JsonObject = {}): Pdu {
  const base = room.powerLevels().content;
  const content: JsonObject = { ...base, ...changes };
  if (Object.keys(users).length > 0) content.users = { ...(base.users as JsonObject), ...users };
  return room.event({ type: "m.room.power_levels", sender, state_key: "", content });
}

function byBob(room: TestRoom, changes: JsonObject, users: JsonObject = {}, ...replacements: Pdu[]): Scenario {
  return { pdu: powerLevelsChange(room, BOB, changes, users), state: room.state(...replacements) };
}

/** Current power levels with extra entries, as state. */
function currentWith(room: TestRoom, changes: JsonObject, users: JsonObject = {}): Pdu {
  return powerLevelsChange(room, ALICE, changes, users);
}

const cases: RuleCase[] = [
  {
    rule: pl(undefined, 1),
    text: "since v10 the named levels must be integers",
    accept: (room) => byBob(room, { ban: 40, kick: 40 }),
    reject: (room) => byBob(room, { ban: "40" }),
    reason: /`ban`: since v10: power level values must be integers/,
  },
  {
    rule: pl(undefined, 2),
    text: "since v10 events and notifications must be objects of integers",
    accept: (room) => byBob(room, { events: { "m.room.name": 40 } }),
    reject: (room) => byBob(room, { notifications: { room: "50" } }),
    reason: /`notifications.room`: since v10/,
  },
  {
    rule: pl(1, 3),
    text: "users must map valid user ids to levels",
    accept: (room) => byBob(room, {}, { [CAROL]: 10 }),
    reject: (room) => byBob(room, {}, { carol: 10 }),
    reason: /`users` key "carol" is not a valid user id/,
  },
  {
    rule: pl(1, undefined),
    text: "until v10 users values may be strings holding integers",
    accept: (room) => byBob(room, {}, { [CAROL]: " +10 " }),
    reject: (room) => byBob(room, {}, { [CAROL]: "ten" }),
    reason: /integers or strings holding integers/,
  },
  {
    rule: pl(undefined, 3),
    text: "since v10 users values must be integers, not strings",
    accept: (room) => byBob(room, {}, { [CAROL]: 10 }),
    reject: (room) => byBob(room, {}, { [CAROL]: "10" }),
    reason: /since v10: power level values must be integers/,
  },
  {
    rule: { 12: "10.4" },
    text: "users must not list the room creators",
    accept: (room) => byBob(room, {}, { [CAROL]: 10 }),
    reject: (room) => ({ pdu: powerLevelsChange(room, ALICE, {}, { [ALICE]: 100 }) }),
    reason: /since v12: room creator @alice:example.com must not appear in users/,
  },
  {
    rule: pl(2, 4),
    text: "the first power levels event is allowed",
    accept: (room) => ({
      pdu: powerLevelsChange(room, ALICE, {}, { [BOB]: 100, [CAROL]: 60 }),
      state: room.without(room.state(), ["m.room.power_levels", ""]),
    }),
    reject: (room) => byBob(room, {}, { [CAROL]: 60 }),
    reason: /may not change the power level of @carol:example.com/,
  },
  {
    rule: pl("3.1", "5.1"),
    text: "a changed named level must not currently exceed the sender's level",
    accept: (room) => byBob(room, { redact: 40 }),
    reject: (room) => byBob(room, { redact: 40 }, {}, currentWith(room, { redact: 60 })),
    reason: /changing redact/,
  },
  {
    rule: pl("3.2", "5.2"),
    text: "a changed named level must not become higher than the sender's level",
    accept: (room) => byBob(room, { state_default: 50, invite: 50 }),
    reject: (room) => byBob(room, { invite: 51 }),
    reason: /changing invite/,
  },
  {
    rule: pl(4, 6),
    text: "a changed or removed events entry must not currently exceed the sender's level",
    accept: (room) => byBob(room, { events: { "m.room.name": 40 } }),
    reject: (room) => byBob(room, { events: {} }, {}, currentWith(room, { events: { "m.room.topic": 60 } })),
    reason: /may not change events.m.room.topic/,
  },
  {
    rule: only(["8"], "9.4"),
    text: "since v6 a changed notifications entry must not currently exceed the sender's level",
    accept: (room) => byBob(room, { notifications: { room: 40 } }),
    reject: (room) => byBob(room, { notifications: { room: 40 } }, {}, currentWith(room, { notifications: { room: 60 } })),
    reason: /may not change notifications.room/,
  },
  {
    rule: pl(undefined, 6),
    text: "a changed or removed notifications entry must not currently exceed the sender's level",
    accept: (room) => byBob(room, { notifications: {} }),
    reject: (room) => byBob(room, { notifications: {} }, {}, currentWith(room, { notifications: { room: 60 } })),
    reason: /may not change notifications.room/,
  },
  {
    rule: only(["1", "3"], "10.4"),
    text: "before v6 notifications changes are not checked",
    accept: (room) => byBob(room, { notifications: { room: 40 } }, {}, currentWith(room, { notifications: { room: 60 } })),
    reject: (room) => byBob(room, { events: {} }, {}, currentWith(room, { events: { "m.room.topic": 60 } })),
    reason: /may not change events.m.room.topic/,
  },
  {
    rule: pl(5, 7),
    text: "an added or changed events entry must not exceed the sender's level",
    accept: (room) => byBob(room, { events: { "m.room.name": 50, "m.room.topic": 50 } }),
    reject: (room) => byBob(room, { events: { "m.room.name": 50, "m.room.topic": 60 } }),
    reason: /may not change events.m.room.topic/,
  },
  {
    rule: pl(undefined, 7),
    text: "an added or changed notifications entry must not exceed the sender's level",
    accept: (room) => byBob(room, { notifications: { room: 50 } }),
    reject: (room) => byBob(room, { notifications: { room: 51 } }),
    reason: /may not change notifications.room/,
  },
  {
    rule: pl(6, 8),
    text: "another user's entry may only change if it is below the sender's level",
    accept: (room) => byBob(room, {}, { [BOB]: 20, [CAROL]: 30 }, currentWith(room, {}, { [CAROL]: 10 })),
    reject: (room) => byBob(room, {}, { [DAVE]: 0 }, currentWith(room, {}, { [DAVE]: 50 })),
    reason: /may not change the power level of @dave:example.com/,
  },
  {
    rule: pl(7, 9),
    text: "an added or changed users entry must not exceed the sender's level",
    accept: (room) => byBob(room, {}, { [CAROL]: 50 }),
    reject: (room) => byBob(room, {}, { [CAROL]: 51 }),
    reason: /may not change the power level of @carol:example.com/,
  },
  {
    rule: { ...pl(8, 10), 12: "10.11" },
    text: "otherwise the power levels event is allowed",
    accept: (room) => byBob(room, {}),
    reject: (room) => byBob(room, { kick: 75 }),
    reason: /changing kick/,
  },
];

testRules("m.room.power_levels", cases);
