/**
 * State resolution v1 (room version 1): power levels, join rules and memberships settled in
 * passes by ascending depth, other conflicts by the deepest event that passes auth, and keys
 * missing from some state sets not counted as conflicts.
 */
import { describe, expect, test } from "bun:test";
import { resolveState } from "../../../src/core/state-res/resolve-state.ts";
import type { JsonObject, Pdu } from "../../../src/core/types.ts";

const ROOM = "!room:example.com";
const ALICE = "@alice:example.com";
const BOB = "@bob:example.com";
const CAROL = "@carol:example.com";

class V1Room {
  readonly events = new Map<string, Pdu>();
  readonly fetch = (id: string) => this.events.get(id);

  add(name: string, depth: number, fields: { type: string; sender: string; state_key: string; content: JsonObject }, auth: string[]): string {
    const id = `$${name}:example.com`;
    const pdu: Pdu = {
      event_id: id,
      room_id: ROOM,
      ...fields,
      origin_server_ts: depth,
      depth,
      prev_events: [],
      auth_events: auth.map((authId) => [authId, { sha256: "aGFzaA" }]),
      hashes: { sha256: "aGFzaA" },
      signatures: {},
    };
    this.events.set(id, pdu);
    return id;
  }
}

/** create, alice joins, power levels (alice 100, bob 50), public join rules, bob and carol join. */
function baseRoom() {
  const room = new V1Room();
  const create = room.add("create", 1, { type: "m.room.create", sender: ALICE, state_key: "", content: { creator: ALICE } }, []);
  const alice = room.add("alice", 2, { type: "m.room.member", sender: ALICE, state_key: ALICE, content: { membership: "join" } }, [create]);
  const power = room.add(
    "power",
    3,
    { type: "m.room.power_levels", sender: ALICE, state_key: "", content: { users: { [ALICE]: 100, [BOB]: 50 } } },
    [create, alice],
  );
  const rules = room.add("rules", 4, { type: "m.room.join_rules", sender: ALICE, state_key: "", content: { join_rule: "public" } }, [create, alice, power]);
  const bob = room.add("bob", 5, { type: "m.room.member", sender: BOB, state_key: BOB, content: { membership: "join" } }, [create, power, rules]);
  const carol = room.add("carol", 5, { type: "m.room.member", sender: CAROL, state_key: CAROL, content: { membership: "join" } }, [create, power, rules]);
  return { room, base: [create, alice, power, rules, bob, carol], create, alice, power, bob, carol };
}

function powerLevels(room: V1Room, name: string, depth: number, sender: string, users: JsonObject, auth: string[]) {
  return room.add(name, depth, { type: "m.room.power_levels", sender, state_key: "", content: { users } }, auth);
}

describe("state res v1", () => {
  test("a single state set is returned as it is", async () => {
    const { room, base } = baseRoom();
    expect((await resolveState("1", [base], room.fetch)).sort()).toEqual([...base].sort());
  });

  /** Alice's change at depth 6 in one fork against Bob's at depth 7 in the other; returns the winner. */
  async function powerLevelsRace(aliceUsers: JsonObject, bobUsers: JsonObject) {
    const { room, base, create, alice, bob, power } = baseRoom();
    const byAlice = powerLevels(room, "by-alice", 6, ALICE, aliceUsers, [create, alice, power]);
    const byBob = powerLevels(room, "by-bob", 7, BOB, bobUsers, [create, bob, power]);
    const forks = [byAlice, byBob].map((change) => base.map((id) => (id === power ? change : id)));
    const resolved = await resolveState("1", forks, room.fetch);
    return { byAlice, byBob, winner: resolved.find((id) => id === byAlice || id === byBob) };
  }

  test("power levels: the shallower event is applied first and the deeper stops if it no longer passes", async () => {
    const race = await powerLevelsRace({ [ALICE]: 100, [BOB]: 0 }, { [ALICE]: 100, [BOB]: 50, [CAROL]: 50 });
    expect(race.winner).toBe(race.byAlice);
  });

  test("power levels: a deeper event that still passes replaces the shallower one", async () => {
    const race = await powerLevelsRace({ [ALICE]: 100, [BOB]: 50, [CAROL]: 10 }, { [ALICE]: 100, [BOB]: 50, [CAROL]: 20 });
    expect(race.winner).toBe(race.byBob);
  });

  test("other conflicts: the deepest event that passes auth wins", async () => {
    const { room, base, create, power, bob, carol } = baseRoom();
    const topic = (name: string, depth: number, sender: string, member: string) =>
      room.add(name, depth, { type: "m.room.topic", sender, state_key: "", content: { topic: name } }, [create, power, member]);
    const byBob = topic("bob-topic", 6, BOB, bob);
    const byCarol = topic("carol-topic", 7, CAROL, carol); // carol (0) is below state_default (50)
    const resolved = await resolveState("1", [[...base, byBob], [...base, byCarol]], room.fetch);
    expect(resolved).toContain(byBob);
    expect(resolved).not.toContain(byCarol);
  });

  test("a key held by only some state sets is not a conflict", async () => {
    const { room, base, create, power, carol } = baseRoom();
    // Carol may not set the topic, but v1 does not re-check unconflicted state.
    const byCarol = room.add("carol-topic", 7, { type: "m.room.topic", sender: CAROL, state_key: "", content: {} }, [create, power, carol]);
    const resolved = await resolveState("1", [[...base, byCarol], base], room.fetch);
    expect(resolved).toContain(byCarol);
    // v2 counts the missing key as a conflict and drops the unauthorised topic.
    const resolvedV2 = await resolveState("2", [[...base, byCarol], base], room.fetch);
    expect(resolvedV2).not.toContain(byCarol);
  });
});
