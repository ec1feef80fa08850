/**
 * A large synthetic room split into two forks, for state resolution benchmarks and load tests.
 * Most of the state is shared members; each fork then adds its own: in one the admin bans
 * members, promotes moderators and finally makes the room invite-only; in the other a moderator
 * kicks members, members leave and new users join. Every event cites the auth events the spec's
 * selection asks for, taken from the state of its own fork.
 */
import { authEventTypesFor } from "../../src/core/auth/auth-events-selection.ts";
import type { RoomVersionRules } from "../../src/core/room-versions.ts";
import { rulesFor } from "../../src/core/room-versions.ts";
import type { JsonObject, Pdu, StateKey } from "../../src/core/types.ts";
import { stateKeyOf } from "../../src/core/types.ts";

export interface ForkedRoom {
  roomVersion: string;
  events: Map<string, Pdu>;
  /** The full state (event ids) at the head of each fork. */
  forks: [string[], string[]];
  fetchEvent: (eventId: string) => Pdu | undefined;
}

const ADMIN = "@admin:example.com";
const MODERATOR = "@moderator:example.com";
const member = (n: number) => `@user${n}:example.com`;

class RoomBuilder {
  readonly events = new Map<string, Pdu>();
  private readonly rules: RoomVersionRules;
  private readonly roomId: string;
  private clock = 1_700_000_000_000;
  private counter = 0;

  constructor(readonly roomVersion: string) {
    this.rules = rulesFor(roomVersion);
    this.roomId = this.rules.roomIdIsCreateEventHash ? "!create" : "!synthetic:example.com";
  }

  /** Adds a state event to `state`, citing its auth events from that state. */
  add(state: Map<StateKey, string>, type: string, sender: string, stateKey: string, content: JsonObject): string {
    const eventId = type === "m.room.create" ? "$create" : `$e${++this.counter}`;
    const pdu: Pdu = {
      event_id: eventId,
      room_id: this.roomId,
      sender,
      type,
      state_key: stateKey,
      content,
      origin_server_ts: this.clock++,
      depth: this.counter,
      prev_events: [],
      auth_events: authEventTypesFor(type, sender, stateKey, content, this.rules)
        .map((key) => state.get(key))
        .filter((id): id is string => id !== undefined),
      hashes: { sha256: "" },
      signatures: {},
    };
    if (type === "m.room.create" && this.rules.roomIdIsCreateEventHash) delete (pdu as Partial<Pdu>).room_id;
    this.events.set(eventId, pdu);
    state.set(stateKeyOf(type, stateKey), eventId);
    return eventId;
  }

  powerLevels(state: Map<StateKey, string>, sender: string, users: JsonObject): void {
    this.add(state, "m.room.power_levels", sender, "", { users, users_default: 0, state_default: 50, ban: 50, kick: 50, invite: 0 });
  }
}

/** A room whose two forks each hold about `stateEvents` state events. */
export function buildForkedRoom(stateEvents: number, roomVersion = "12"): ForkedRoom {
  const room = new RoomBuilder(roomVersion);
  const privileged = rulesFor(roomVersion).privilegedCreators;
  const staff = (extra: JsonObject = {}): JsonObject => ({ ...(privileged ? {} : { [ADMIN]: 100 }), [MODERATOR]: 50, ...extra });
  const base = new Map<StateKey, string>();
  room.add(base, "m.room.create", ADMIN, "", privileged ? { room_version: roomVersion } : { room_version: roomVersion, creator: ADMIN });
  room.add(base, "m.room.member", ADMIN, ADMIN, { membership: "join" });
  room.powerLevels(base, ADMIN, staff());
  room.add(base, "m.room.join_rules", ADMIN, "", { join_rule: "public" });
  room.add(base, "m.room.member", MODERATOR, MODERATOR, { membership: "join" });

  // The shared history: members join; now and then the admin updates the power levels.
  const shared = Math.floor(stateEvents * 0.9);
  for (let n = 0; n < shared; n++) {
    room.add(base, "m.room.member", member(n), member(n), { membership: "join" });
    if (n % 1000 === 999) room.powerLevels(base, ADMIN, staff({ [member(n)]: 10 }));
  }

  const forkEvents = stateEvents - base.size;
  const a = new Map(base);
  const b = new Map(base);
  let newcomer = shared;
  for (let i = 0; i < forkEvents; i++) {
    const target = member((i * 7919) % shared);
    // Fork A: the admin bans members, promotes people and posts topics.
    if (i % 5 === 0) room.add(a, "m.room.member", ADMIN, target, { membership: "ban" });
    else if (i % 50 === 1) room.powerLevels(a, ADMIN, staff({ [member(i)]: 20 }));
    else if (i % 5 === 2) room.add(a, "m.room.topic", ADMIN, "", { topic: `a${i}` });
    else room.add(a, "m.room.member", member(newcomer), member(newcomer++), { membership: "join" });
    // Fork B: the moderator kicks members, members leave, new users join.
    if (i % 5 === 0) room.add(b, "m.room.member", MODERATOR, member((i * 104729 + 1) % shared), { membership: "leave" });
    else if (i % 5 === 1) room.add(b, "m.room.member", target, target, { membership: "leave" });
    else if (i % 97 === 2) room.powerLevels(b, MODERATOR, staff({ [member(i)]: 50 }));
    else room.add(b, "m.room.member", member(newcomer), member(newcomer++), { membership: "join" });
  }
  room.add(a, "m.room.join_rules", ADMIN, "", { join_rule: "invite" });

  return {
    roomVersion,
    events: room.events,
    forks: [[...a.values()], [...b.values()]],
    fetchEvent: (eventId) => room.events.get(eventId),
  };
}
