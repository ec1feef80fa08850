/**
 * A small room for authorization tests: alice created it (creator; infinite power since v12), bob
 * is a moderator (50), carol a plain member (0), dave is not in the room and erin is a joined
 * member from another server. Events are built per room version (event id and reference format,
 * room id derived from the create event since v12), and each check selects its auth events from
 * the state exactly as the spec's auth events selection says.
 */
import { describe, expect, test } from "bun:test";
import { authCheck } from "../../../src/core/auth/auth-check.ts";
import type { AuthResult } from "../../../src/core/auth/auth-result.ts";
import { authEventTypesFor } from "../../../src/core/auth/auth-events-selection.ts";
import type { RoomVersionRules } from "../../../src/core/room-versions.ts";
import { rulesFor } from "../../../src/core/room-versions.ts";
import type { EventRef, JsonObject, Pdu, StateKey } from "../../../src/core/types.ts";
import { stateKeyOf } from "../../../src/core/types.ts";

export const TESTED_VERSIONS = ["1", "3", "8", "10", "11", "12"] as const;
export type TestedVersion = (typeof TESTED_VERSIONS)[number];

export const ALICE = "@alice:example.com";
export const BOB = "@bob:example.com";
export const CAROL = "@carol:example.com";
export const DAVE = "@dave:example.com";
export const ERIN = "@erin:other.org";

export interface EventFields {
  type: string;
  sender: string;
  state_key?: string;
  content?: JsonObject;
  name?: string;
  prev_events?: string[];
  redacts?: string;
  signatures?: Record<string, Record<string, string>>;
}

export class TestRoom {
  readonly rules: RoomVersionRules;
  readonly roomId: string;
  readonly create: Pdu;
  private counter = 0;

  constructor(
    readonly version: TestedVersion,
    createContent: JsonObject = {},
  ) {
    this.rules = rulesFor(version);
    const content: JsonObject = { room_version: version, ...createContent };
    if (!this.rules.useCreatorFromSender && content.creator === undefined) content.creator = ALICE;
    this.roomId = this.rules.roomIdIsCreateEventHash ? `!create-${version}` : "!room:example.com";
    this.create = this.event({ type: "m.room.create", sender: ALICE, state_key: "", content, name: `create-${version}` });
    this.create.prev_events = [];
    if (this.rules.roomIdIsCreateEventHash) delete (this.create as Partial<Pdu>).room_id;
  }

  /** v1-v2 event ids carry the origin's domain; later versions use bare reference hashes. */
  eventId(name: string, domain = "example.com"): string {
    return this.rules.eventIdInEvent ? `$${name}:${domain}` : `$${name}`;
  }

  ref(id: string): EventRef {
    return this.rules.hashedEventRefs ? [id, { sha256: "aGFzaA" }] : id;
  }

  event(fields: EventFields): Pdu {
    const name = fields.name ?? `event-${++this.counter}`;
    const senderServer = fields.sender.slice(fields.sender.indexOf(":") + 1);
    const pdu: Pdu = {
      event_id: this.eventId(name, senderServer),
      room_id: this.roomId,
      sender: fields.sender,
      type: fields.type,
      content: fields.content ?? {},
      origin_server_ts: 1_700_000_000_000 + this.counter,
      depth: 10,
      prev_events: (fields.prev_events ?? [this.eventId("previous")]).map((id) => this.ref(id)),
      auth_events: [],
      hashes: { sha256: "aGFzaA" },
      signatures: fields.signatures ?? { [senderServer]: { "ed25519:1": "c2ln" } },
    };
    if (fields.state_key !== undefined) pdu.state_key = fields.state_key;
    if (fields.redacts !== undefined) pdu.redacts = fields.redacts;
    return pdu;
  }

  member(userId: string, membership: string, sender = userId, extra: JsonObject = {}): Pdu {
    return this.event({ type: "m.room.member", sender, state_key: userId, content: { membership, ...extra } });
  }

  /** Baseline power levels: bob 50, carol 0 (and alice 100 where creators are not privileged). */
  powerLevels(overrides: JsonObject = {}, sender = ALICE): Pdu {
    const users: JsonObject = { [BOB]: 50 };
    if (!this.rules.privilegedCreators) users[ALICE] = 100;
    const content: JsonObject = {
      users,
      users_default: 0,
      events: { "m.room.name": 50, "m.room.power_levels": 50 },
      events_default: 0,
      state_default: 50,
      ban: 50,
      kick: 50,
      redact: 50,
      invite: 0,
      notifications: { room: 50 },
      ...overrides,
    };
    return this.event({ type: "m.room.power_levels", sender, state_key: "", content });
  }

  joinRules(joinRule: string): Pdu {
    return this.event({ type: "m.room.join_rules", sender: ALICE, state_key: "", content: { join_rule: joinRule } });
  }

  /** The baseline state, with `replacements` overriding entries of the same (type, state_key). */
  state(...replacements: Pdu[]): Pdu[] {
    const map = new Map<StateKey, Pdu>();
    const baseline = [
      this.create,
      this.member(ALICE, "join"),
      this.member(BOB, "join"),
      this.member(CAROL, "join"),
      this.member(ERIN, "join"),
      this.powerLevels(),
      this.joinRules("public"),
    ];
    for (const event of [...baseline, ...replacements]) map.set(stateKeyOf(event.type, event.state_key ?? ""), event);
    return [...map.values()];
  }

  /** Removes entries from a state. */
  without(state: Pdu[], ...keys: Array<[string, string]>): Pdu[] {
    return state.filter((event) => !keys.some(([type, key]) => event.type === type && event.state_key === key));
  }

  /** The auth events a correct sender would cite, drawn from `state` (the create event is passed even in v12). */
  authEventsFrom(pdu: Pdu, state: Pdu[]): Pdu[] {
    const wanted = new Set(authEventTypesFor(pdu.type, pdu.sender, pdu.state_key, pdu.content, this.rules));
    if (pdu.type !== "m.room.create") wanted.add(stateKeyOf("m.room.create", ""));
    const selected = state.filter((event) => wanted.has(stateKeyOf(event.type, event.state_key ?? "")));
    pdu.auth_events = selected
      .filter((event) => !(this.rules.roomIdIsCreateEventHash && event.type === "m.room.create"))
      .map((event) => this.ref(event.event_id!));
    return selected;
  }
}

/** A case: the event to check and the state to select its auth events from (baseline by default). */
export interface Scenario {
  pdu: Pdu;
  /** A room with another create event, when the case needs one. */
  room?: TestRoom;
  state?: Pdu[];
  /** Bypass selection: these exact auth events. */
  authEvents?: Pdu[];
  isRejected?: (eventId: string) => boolean;
}

export function runScenario(baseRoom: TestRoom, scenario: Scenario): AuthResult {
  const room = scenario.room ?? baseRoom;
  if (scenario.authEvents) {
    return authCheck(scenario.pdu, scenario.authEvents, room.version, { isRejected: scenario.isRejected });
  }
  const state = scenario.state ?? room.state();
  const authEvents = room.authEventsFrom(scenario.pdu, state);
  return authCheck(scenario.pdu, authEvents, room.version, { isRejected: scenario.isRejected });
}

/**
 * One rule of the spec's lists: its number in each tested room version (absent where the rule does
 * not exist), an event it lets through and one it stops, with the reason expected for the latter.
 */
export interface RuleCase {
  rule: Partial<Record<TestedVersion, string>>;
  text: string;
  accept: (room: TestRoom) => Scenario;
  reject: (room: TestRoom) => Scenario;
  reason: RegExp;
}

/** Rule numbers for rules present in every tested version under the same number. */
export function everywhere(rule: string): Partial<Record<TestedVersion, string>> {
  return Object.fromEntries(TESTED_VERSIONS.map((version) => [version, rule]));
}

/** Rule numbers `${prefix}.${suffix}` for each version that has the prefix. */
export function sub(prefixes: Partial<Record<TestedVersion, string>>, suffix: string | number): Partial<Record<TestedVersion, string>> {
  return Object.fromEntries(Object.entries(prefixes).map(([version, prefix]) => [version, `${prefix}.${suffix}`]));
}

/** The numbers of a rule group, kept for the given versions only. */
export function within(
  versions: readonly TestedVersion[],
  numbers: Partial<Record<TestedVersion, string>>,
): Partial<Record<TestedVersion, string>> {
  return Object.fromEntries(versions.map((version) => [version, numbers[version]!]));
}

export function only(versions: readonly TestedVersion[], rule: string): Partial<Record<TestedVersion, string>> {
  return Object.fromEntries(versions.map((version) => [version, rule]));
}

/** Registers an allowing and a rejecting test for each case, in every tested version that has the rule. */
export function testRules(title: string, cases: RuleCase[]): void {
  for (const version of TESTED_VERSIONS) {
    describe(`room v${version} ${title}`, () => {
      for (const ruleCase of cases) {
        const rule = ruleCase.rule[version];
        if (rule === undefined) continue;
        test(`rule ${rule} ${ruleCase.text}: allows`, () => {
          const room = new TestRoom(version);
          expect(runScenario(room, ruleCase.accept(room))).toEqual({ allowed: true });
        });
        test(`rule ${rule} ${ruleCase.text}: rejects`, () => {
          const room = new TestRoom(version);
          const result = runScenario(room, ruleCase.reject(room));
          expect(result).toEqual({ allowed: false, reason: expect.stringMatching(ruleCase.reason) });
        });
      }
    });
  }
}

/** Rule numbers of a rule numbered one way in v1-v5, another in v6-v11 and a third in v12. */
export function numbered(v1to5: string, v6to11: string, v12: string): Partial<Record<TestedVersion, string>> {
  return { 1: v1to5, 3: v1to5, 8: v6to11, 10: v6to11, 11: v6to11, 12: v12 };
}
