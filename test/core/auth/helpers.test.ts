/**
 * The helpers around the authorization rules: the auth events selection, power level parsing per
 * room version, defaults without a power levels event, and creators' infinite power since v12.
 */
import { describe, expect, test } from "bun:test";
import { authEventMapOf } from "../../../src/core/auth/auth-event-map.ts";
import { authEventTypesFor } from "../../../src/core/auth/auth-events-selection.ts";
import { namedLevelOf, parsePowerLevels, powerLevelOf, requiredPowerLevel } from "../../../src/core/auth/power-levels.ts";
import { rulesFor } from "../../../src/core/room-versions.ts";
import type { JsonObject, StateKey } from "../../../src/core/types.ts";
import { stateKeyOf } from "../../../src/core/types.ts";
import { ALICE, BOB, CAROL, DAVE, TestRoom } from "./fixtures.ts";

describe("authEventTypesFor (auth events selection)", () => {
  const key = stateKeyOf;
  const cases: Array<{ name: string; version: string; type: string; sender: string; stateKey?: string; content: JsonObject; expected: StateKey[] }> = [
    { name: "m.room.create needs none", version: "11", type: "m.room.create", sender: ALICE, stateKey: "", content: {}, expected: [] },
    {
      name: "a message: power levels, sender's member, create",
      version: "11",
      type: "m.room.message",
      sender: CAROL,
      content: {},
      expected: [key("m.room.power_levels", ""), key("m.room.member", CAROL), key("m.room.create", "")],
    },
    {
      name: "since v12 the create event is never selected",
      version: "12",
      type: "m.room.message",
      sender: CAROL,
      content: {},
      expected: [key("m.room.power_levels", ""), key("m.room.member", CAROL)],
    },
    {
      name: "a join adds the target and the join rules",
      version: "3",
      type: "m.room.member",
      sender: DAVE,
      stateKey: DAVE,
      content: { membership: "join", join_authorised_via_users_server: BOB },
      expected: [key("m.room.power_levels", ""), key("m.room.member", DAVE), key("m.room.create", ""), key("m.room.join_rules", "")],
    },
    {
      name: "since v8 a restricted join adds the authorising user's member event",
      version: "8",
      type: "m.room.member",
      sender: DAVE,
      stateKey: DAVE,
      content: { membership: "join", join_authorised_via_users_server: BOB },
      expected: [
        key("m.room.power_levels", ""),
        key("m.room.member", DAVE),
        key("m.room.create", ""),
        key("m.room.join_rules", ""),
        key("m.room.member", BOB),
      ],
    },
    {
      name: "a third-party invite adds the invite event named by the token",
      version: "10",
      type: "m.room.member",
      sender: BOB,
      stateKey: DAVE,
      content: { membership: "invite", third_party_invite: { signed: { mxid: DAVE, token: "abc" } } },
      expected: [
        key("m.room.power_levels", ""),
        key("m.room.member", BOB),
        key("m.room.create", ""),
        key("m.room.member", DAVE),
        key("m.room.join_rules", ""),
        key("m.room.third_party_invite", "abc"),
      ],
    },
    {
      name: "a kick needs no join rules",
      version: "10",
      type: "m.room.member",
      sender: BOB,
      stateKey: CAROL,
      content: { membership: "leave" },
      expected: [key("m.room.power_levels", ""), key("m.room.member", BOB), key("m.room.create", ""), key("m.room.member", CAROL)],
    },
  ];
  for (const c of cases) {
    test(`v${c.version}: ${c.name}`, () => {
      expect(authEventTypesFor(c.type, c.sender, c.stateKey, c.content, rulesFor(c.version)).sort()).toEqual(c.expected.sort());
    });
  }
});

describe("parsePowerLevels", () => {
  test("before v10 strings with sign and spaces, and floats (v1-v5), are read as integers", () => {
    const parsed = parsePowerLevels({ ban: " +75 ", kick: "-0010", users: { [BOB]: 50.9 } }, rulesFor("1"));
    expect(parsed.error).toBeUndefined();
    expect(parsed.levels.named).toEqual({ ban: 75, kick: -10 });
    expect(parsed.levels.users.get(BOB)).toBe(50);
  });

  test("since v10 strings are errors and are left out of the levels", () => {
    const parsed = parsePowerLevels({ ban: "75", kick: 20 }, rulesFor("10"));
    expect(parsed.error).toBe("`ban`: since v10: power level values must be integers");
    expect(parsed.levels.named).toEqual({ kick: 20 });
  });

  test("malformed strings and non-object maps are errors in every version", () => {
    expect(parsePowerLevels({ ban: "1.5" }, rulesFor("3")).error).toMatch(/`ban`/);
    expect(parsePowerLevels({ events: [] }, rulesFor("3")).error).toBe("`events` must be an object of power levels");
  });
});

describe("power levels in force", () => {
  test("without m.room.power_levels the creator has 100, others 0, and the defaults apply", () => {
    for (const version of ["1", "10", "11"] as const) {
      const room = new TestRoom(version);
      const state = authEventMapOf([room.create]);
      expect(powerLevelOf(ALICE, state, room.rules)).toBe(100);
      expect(powerLevelOf(BOB, state, room.rules)).toBe(0);
      expect(requiredPowerLevel("m.room.topic", true, state, room.rules)).toBe(50);
      expect(requiredPowerLevel("m.room.message", false, state, room.rules)).toBe(0);
      expect(namedLevelOf("invite", state, room.rules)).toBe(0);
      expect(namedLevelOf("kick", state, room.rules)).toBe(50);
    }
  });

  test("until v10 the creator is content.creator; since v11 the create event's sender", () => {
    for (const [version, creator] of [["10", DAVE], ["11", ALICE]] as const) {
      const room = new TestRoom(version, { creator: DAVE });
      expect(powerLevelOf(creator, authEventMapOf([room.create]), room.rules)).toBe(100);
    }
  });

  test("since v12 creators and additional creators have infinite power", () => {
    const room = new TestRoom("12", { additional_creators: [CAROL] });
    const state = authEventMapOf([room.create, room.powerLevels({ users_default: 10 })]);
    expect(powerLevelOf(ALICE, state, room.rules)).toBe(Infinity);
    expect(powerLevelOf(CAROL, state, room.rules)).toBe(Infinity);
    expect(powerLevelOf(BOB, state, room.rules)).toBe(50);
    expect(powerLevelOf(DAVE, state, room.rules)).toBe(10);
  });

  test("additional_creators gives nothing before v12", () => {
    const room = new TestRoom("11", { additional_creators: [CAROL] });
    expect(powerLevelOf(CAROL, authEventMapOf([room.create, room.powerLevels()]), room.rules)).toBe(0);
  });
});
