// Push rule evaluation: a table of cases per predefined rule (spec v1.19 "Predefined Rules"),
// each condition kind with the spec's examples, and user-defined rules of every kind.
import { describe, expect, test } from "bun:test";
import {
  compilePushRules,
  DEFAULT_PUSH_RULES,
  emptyUserPushRules,
  evaluatePushRules,
  pushEventContext,
  putPushRule,
  setPushRuleActions,
  setPushRuleEnabled,
  type JsonObject,
  type PushCondition,
  type PushOutcome,
  type PushRoomFacts,
  type PushRuleEdit,
  type UserPushRules,
  usersNamedByEvent,
} from "../../../src/core";

const ALICE = "@alice:example.org";
const BOB = "@bob:example.org";
const ROOM = "!room:example.org";

function facts(over: Partial<PushRoomFacts> = {}): PushRoomFacts {
  return { memberCount: 5, senderPowerLevel: 0, notificationLevels: new Map(), ...over };
}

function event(type: string, content: JsonObject, extra: JsonObject = {}): JsonObject {
  return { type, content, sender: BOB, room_id: ROOM, event_id: "$e", origin_server_ts: 1, ...extra };
}
const text = (body: string, extra: JsonObject = {}) => event("m.room.message", { msgtype: "m.text", body, ...extra });

function outcome(ev: JsonObject, opts: { room?: Partial<PushRoomFacts>; rules?: UserPushRules; displayName?: string } = {}): PushOutcome | undefined {
  const compiled = opts.rules ? compilePushRules(opts.rules) : DEFAULT_PUSH_RULES;
  return evaluatePushRules(compiled, pushEventContext(ev, facts(opts.room)), { userId: ALICE, displayName: () => opts.displayName });
}

function edited(result: PushRuleEdit): UserPushRules {
  if (!("rules" in result)) throw new Error(`edit refused: ${result.message}`);
  return result.rules;
}

const rulesWith = (...edits: ((r: UserPushRules) => PushRuleEdit)[]) => edits.reduce((rules, edit) => edited(edit(rules)), emptyUserPushRules());

/** [case, event, room facts, rule that decides (undefined: none), notify, highlight, tweaks] */
type Case = [string, JsonObject, Partial<PushRoomFacts>, string | undefined, boolean, boolean, JsonObject?];

const mentionsAlice = { "m.mentions": { user_ids: [ALICE] } };
const cases: Case[] = [
  [".m.rule.master is disabled by default", text("hi"), {}, ".m.rule.message", true, false],
  [".m.rule.suppress_notices: a notice", event("m.room.message", { msgtype: "m.notice", body: "bot" }), {}, ".m.rule.suppress_notices", false, false],
  [".m.rule.suppress_notices wins over a mention", event("m.room.message", { msgtype: "m.notice", body: "x", ...mentionsAlice }), {}, ".m.rule.suppress_notices", false, false],
  [".m.rule.invite_for_me: invited", event("m.room.member", { membership: "invite" }, { state_key: ALICE }), {}, ".m.rule.invite_for_me", true, false, { sound: "default" }],
  [".m.rule.invite_for_me: someone else invited", event("m.room.member", { membership: "invite" }, { state_key: "@carol:example.org" }), {}, ".m.rule.member_event", false, false],
  [".m.rule.member_event: a join", event("m.room.member", { membership: "join" }, { state_key: BOB }), {}, ".m.rule.member_event", false, false],
  [".m.rule.is_user_mention", text("hey", mentionsAlice), {}, ".m.rule.is_user_mention", true, true, { sound: "default", highlight: true }],
  [".m.rule.is_user_mention: someone else", text("hey", { "m.mentions": { user_ids: [BOB] } }), {}, ".m.rule.message", true, false],
  [".m.rule.is_user_mention: not from the body", text(`hey ${ALICE}`), {}, ".m.rule.message", true, false],
  [".m.rule.is_user_mention: any event type", event("org.example.custom", mentionsAlice), {}, ".m.rule.is_user_mention", true, true],
  [".m.rule.is_room_mention: sender has power 50", text("all", { "m.mentions": { room: true } }), { senderPowerLevel: 50 }, ".m.rule.is_room_mention", true, true, { highlight: true }],
  [".m.rule.is_room_mention: sender lacks power", text("all", { "m.mentions": { room: true } }), { senderPowerLevel: 49 }, ".m.rule.message", true, false],
  [".m.rule.is_room_mention: room lowered notifications.room", text("all", { "m.mentions": { room: true } }), { notificationLevels: new Map([["room", 0]]) }, ".m.rule.is_room_mention", true, true],
  [".m.rule.is_room_mention: `room` must be true, not \"true\"", text("all", { "m.mentions": { room: "true" } }), { senderPowerLevel: 100 }, ".m.rule.message", true, false],
  [".m.rule.tombstone", event("m.room.tombstone", { body: "moved" }, { state_key: "" }), {}, ".m.rule.tombstone", true, true],
  [".m.rule.tombstone: only with an empty state key", event("m.room.tombstone", {}, { state_key: "x" }), {}, undefined, false, false],
  [".m.rule.reaction", event("m.reaction", { "m.relates_to": { rel_type: "m.annotation", event_id: "$x", key: "👍" } }), {}, ".m.rule.reaction", false, false],
  [".m.rule.room.server_acl", event("m.room.server_acl", { allow: ["*"] }, { state_key: "" }), {}, ".m.rule.room.server_acl", false, false],
  [".m.rule.suppress_edits", text("* fixed", { "m.relates_to": { rel_type: "m.replace", event_id: "$x" } }), {}, ".m.rule.suppress_edits", false, false],
  [".m.rule.suppress_edits: even of a mention", text("* hey", { ...mentionsAlice, "m.relates_to": { rel_type: "m.replace", event_id: "$x" } }), {}, ".m.rule.is_user_mention", true, true],
  [".m.rule.call", event("m.call.invite", { call_id: "c" }), {}, ".m.rule.call", true, false, { sound: "ring" }],
  [".m.rule.encrypted_room_one_to_one", event("m.room.encrypted", { algorithm: "m.megolm.v1.aes-sha2" }), { memberCount: 2 }, ".m.rule.encrypted_room_one_to_one", true, false, { sound: "default" }],
  [".m.rule.room_one_to_one", text("hi"), { memberCount: 2 }, ".m.rule.room_one_to_one", true, false, { sound: "default" }],
  [".m.rule.message", text("hi"), { memberCount: 3 }, ".m.rule.message", true, false, {}],
  [".m.rule.encrypted", event("m.room.encrypted", {}), { memberCount: 3 }, ".m.rule.encrypted", true, false, {}],
  ["no rule for other events", event("m.room.topic", { topic: "t" }, { state_key: "" }), {}, undefined, false, false],
  ["no rule for stickers", event("m.sticker", { body: "s" }), {}, undefined, false, false],
];

describe("predefined rules", () => {
  for (const [name, ev, room, ruleId, notify, highlight, tweaks] of cases) {
    test(name, () => {
      const got = outcome(ev, { room });
      expect(got?.ruleId).toBe(ruleId);
      expect(got?.notify ?? false).toBe(notify);
      expect(got?.highlight ?? false).toBe(highlight);
      if (tweaks) expect(got?.tweaks).toEqual(tweaks);
    });
  }

  test("the shared rules answer per user: one event, a mentioned and an unmentioned user", () => {
    const ctx = pushEventContext(text("hey", mentionsAlice), facts());
    expect(evaluatePushRules(DEFAULT_PUSH_RULES, ctx, { userId: BOB })?.ruleId).toBe(".m.rule.message");
    expect(evaluatePushRules(DEFAULT_PUSH_RULES, ctx, { userId: ALICE })?.ruleId).toBe(".m.rule.is_user_mention");
    expect(evaluatePushRules(DEFAULT_PUSH_RULES, ctx, { userId: BOB })?.ruleId).toBe(".m.rule.message");
  });

  test("enabling .m.rule.master silences everything, mentions included", () => {
    const rules = rulesWith((r) => setPushRuleEnabled(r, "override", ".m.rule.master", true));
    expect(outcome(text("hey", mentionsAlice), { rules })).toMatchObject({ ruleId: ".m.rule.master", notify: false });
  });

  test("a disabled default rule lets the next one decide; changed actions apply", () => {
    const off = rulesWith((r) => setPushRuleEnabled(r, "underride", ".m.rule.room_one_to_one", false));
    expect(outcome(text("hi"), { rules: off, room: { memberCount: 2 } })?.ruleId).toBe(".m.rule.message");
    const loud = rulesWith((r) => setPushRuleActions(r, "underride", ".m.rule.message", ["notify", { set_tweak: "highlight" }]));
    expect(outcome(text("hi"), { rules: loud })).toMatchObject({ ruleId: ".m.rule.message", highlight: true });
    const quiet = rulesWith((r) => setPushRuleActions(r, "underride", ".m.rule.message", ["dont_notify"]));
    expect(outcome(text("hi"), { rules: quiet })).toMatchObject({ ruleId: ".m.rule.message", notify: false, actions: [] });
  });
});

describe("conditions", () => {
  const withCondition = (conditions: PushCondition[]) =>
    rulesWith((r) => putPushRule(r, "override", "test", { conditions, actions: ["notify", { set_tweak: "highlight" }] }));
  const fires = (conditions: PushCondition[], ev: JsonObject, opts: { room?: Partial<PushRoomFacts>; displayName?: string } = {}) =>
    outcome(ev, { ...opts, rules: withCondition(conditions) })?.ruleId === "test";

  test("event_match: the spec's topic example, and absent or non-string values never match", () => {
    const topic = (t: unknown) => event("m.room.topic", { topic: t } as JsonObject, { state_key: "" });
    const cond = [{ kind: "event_match", key: "content.topic", pattern: "lunc?*" }];
    expect(fires(cond, topic("Lunch plans"))).toBe(true);
    expect(fires(cond, topic("LUNCH"))).toBe(true);
    expect(fires(cond, topic(" lunch"))).toBe(false);
    expect(fires(cond, topic("lunc"))).toBe(false);
    expect(fires(cond, topic(null))).toBe(false);
    expect(fires([{ kind: "event_match", key: "content.nothing", pattern: "*" }], topic("x"))).toBe(false);
    expect(fires([{ kind: "event_match", key: "content.n", pattern: "*" }], event("m.x", { n: 1 }))).toBe(false);
  });

  test("event_match on content.body matches words; on other keys the whole value", () => {
    expect(fires([{ kind: "event_match", key: "content.body", pattern: "ex*ple" }], text("An example event."))).toBe(true);
    expect(fires([{ kind: "event_match", key: "content.body", pattern: "cake" }], text("cakes"))).toBe(false);
    expect(fires([{ kind: "event_match", key: "content.format", pattern: "html" }], text("x", { format: "org.html" }))).toBe(false);
  });

  test("event_property_is: the spec's m.federate example; types are never cast", () => {
    const create = (federate: unknown) => event("m.room.create", { "m.federate": federate } as JsonObject, { state_key: "" });
    const cond = [{ kind: "event_property_is", key: "content.m\\.federate", value: true }];
    expect(fires(cond, create(true))).toBe(true);
    expect(fires(cond, create("true"))).toBe(false);
    expect(fires(cond, create(1))).toBe(false);
    const nullCond = [{ kind: "event_property_is", key: "content.x", value: null }];
    expect(fires(nullCond, event("m.x", { x: null }))).toBe(true);
    expect(fires(nullCond, event("m.x", {}))).toBe(false);
    expect(fires([{ kind: "event_property_is", key: "content.n", value: 3 }], event("m.x", { n: 3 }))).toBe(true);
    expect(fires([{ kind: "event_property_is", key: "content.o", value: "x" }], event("m.x", { o: { a: "x" } }))).toBe(false);
  });

  test("event_property_contains: the spec's alt_aliases example", () => {
    const aliases = (alt: unknown) => event("m.room.canonical_alias", { alias: "#somewhere:localhost", alt_aliases: alt } as JsonObject, { state_key: "" });
    const cond = [{ kind: "event_property_contains", key: "content.alt_aliases", value: "#myroom:example.com" }];
    expect(fires(cond, aliases(["#somewhere:example.org", "#myroom:example.com"]))).toBe(true);
    expect(fires(cond, aliases([":example.com"]))).toBe(false);
    expect(fires(cond, aliases("#myroom:example.com"))).toBe(false);
    expect(fires(cond, event("m.x", {}))).toBe(false);
  });

  test("dotted keys unescape `\\.` and `\\\\` only", () => {
    expect(fires([{ kind: "event_match", key: "content.m\\.relates_to.rel_type", pattern: "m.thread" }], text("x", { "m.relates_to": { rel_type: "m.thread", event_id: "$r" } }))).toBe(true);
    expect(fires([{ kind: "event_match", key: "content.m\\\\foo", pattern: "bar" }], event("m.x", { "m\\foo": "bar" }))).toBe(true);
    // `\x` stays a backslash and an x.
    expect(fires([{ kind: "event_match", key: "content.a\\x", pattern: "y" }], event("m.x", { "a\\x": "y" }))).toBe(true);
    // Unescaped, a dot descends: `m.relates_to` is not one property.
    expect(fires([{ kind: "event_match", key: "content.m.relates_to.rel_type", pattern: "m.thread" }], text("x", { "m.relates_to": { rel_type: "m.thread" } }))).toBe(false);
  });

  test("contains_display_name matches the user's name in the room as a word", () => {
    const cond = [{ kind: "contains_display_name" }];
    expect(fires(cond, text("ask Alice Liddell!"), { displayName: "alice liddell" })).toBe(true);
    expect(fires(cond, text("ask Alice Liddells"), { displayName: "Alice Liddell" })).toBe(false);
    expect(fires(cond, text("ask Alice"), { displayName: undefined })).toBe(false);
    expect(fires(cond, text("ask a*"), { displayName: "a*" })).toBe(true);
    expect(fires(cond, text("ask ab"), { displayName: "a*" })).toBe(false);
    expect(fires(cond, event("m.x", { name: "Alice" }), { displayName: "Alice" })).toBe(false);
  });

  test("room_member_count compares with ==, <, >, <=, >= (== by default)", () => {
    const at = (is: string, memberCount: number) => fires([{ kind: "room_member_count", is }], text("x"), { room: { memberCount } });
    expect([at("2", 2), at("2", 3), at("==2", 2)]).toEqual([true, false, true]);
    expect([at("<3", 2), at("<3", 3), at(">3", 4), at(">3", 3)]).toEqual([true, false, true, false]);
    expect([at("<=3", 3), at("<=3", 4), at(">=3", 3), at(">=3", 2)]).toEqual([true, false, true, false]);
  });

  test("sender_notification_permission reads `notifications` with 50 as the default", () => {
    const cond = [{ kind: "sender_notification_permission", key: "room" }];
    expect(fires(cond, text("x"), { room: { senderPowerLevel: 50 } })).toBe(true);
    expect(fires(cond, text("x"), { room: { senderPowerLevel: 10 } })).toBe(false);
    expect(fires(cond, text("x"), { room: { senderPowerLevel: 10, notificationLevels: new Map([["room", 10]]) } })).toBe(true);
    expect(fires([{ kind: "sender_notification_permission", key: "other" }], text("x"), { room: { senderPowerLevel: 49 } })).toBe(false);
  });

  test("an unrecognised condition kind never matches, which disables its rule", () => {
    expect(fires([{ kind: "org.example.future" }], text("x"))).toBe(false);
    expect(outcome(text("x"), { rules: withCondition([{ kind: "org.example.future" }]) })?.ruleId).toBe(".m.rule.message");
  });

  test("a rule without conditions matches everything; every condition must hold", () => {
    expect(fires([], event("m.x", {}))).toBe(true);
    expect(fires([{ kind: "event_match", key: "type", pattern: "m.room.message" }, { kind: "room_member_count", is: "2" }], text("x"))).toBe(false);
  });
});

describe("user-defined rules", () => {
  test("the spec's examples: cake, cake*lie placed before it, beer in small rooms", () => {
    const rules = rulesWith(
      (r) => putPushRule(r, "content", "SSByZWFsbHkgbGlrZSBjYWtl", { pattern: "cake", actions: ["notify", { set_tweak: "sound", value: "cakealarm.wav" }] }),
      (r) => putPushRule(r, "content", "U3BvbmdlIGNha2UgaXMgYmVzdA", { pattern: "cake*lie", actions: ["notify"] }, { before: "SSByZWFsbHkgbGlrZSBjYWtl" }),
      (r) =>
        putPushRule(r, "override", "U2VlIHlvdSBpbiBUaGUgRHVrZQ", {
          conditions: [{ kind: "event_match", key: "content.body", pattern: "beer" }, { kind: "room_member_count", is: "<=10" }],
          actions: ["notify", { set_tweak: "sound", value: "beeroclock.wav" }],
        }),
    );
    expect(outcome(text("I want cake"), { rules })).toMatchObject({ ruleId: "SSByZWFsbHkgbGlrZSBjYWtl", tweaks: { sound: "cakealarm.wav" } });
    expect(outcome(text("the cake is a lie"), { rules })).toMatchObject({ ruleId: "U3BvbmdlIGNha2UgaXMgYmVzdA", tweaks: {} });
    expect(outcome(text("beer and cake"), { rules, room: { memberCount: 10 } })?.ruleId).toBe("U2VlIHlvdSBpbiBUaGUgRHVrZQ");
    expect(outcome(text("beer and cake"), { rules, room: { memberCount: 11 } })?.ruleId).toBe("SSByZWFsbHkgbGlrZSBjYWtl");
  });

  test("a room rule with no actions keeps mentions (override) but silences messages", () => {
    const rules = rulesWith((r) => putPushRule(r, "room", ROOM, { actions: [] }));
    expect(outcome(text("hi"), { rules })).toMatchObject({ ruleId: ROOM, notify: false });
    expect(outcome(text("hi"), { rules: rules })?.kind).toBe("room");
    expect(outcome(text("hey", mentionsAlice), { rules })?.ruleId).toBe(".m.rule.is_user_mention");
    expect(outcome({ ...text("hi"), room_id: "!other:example.org" }, { rules })?.ruleId).toBe(".m.rule.message");
  });

  test("an override rule on room_id mutes the room entirely (how clients mute)", () => {
    const rules = rulesWith((r) => putPushRule(r, "override", ROOM, { conditions: [{ kind: "event_match", key: "room_id", pattern: ROOM }], actions: [] }));
    expect(outcome(text("hey", mentionsAlice), { rules })).toMatchObject({ ruleId: ROOM, notify: false });
  });

  test("a sender rule applies to that sender only, and before underrides", () => {
    const rules = rulesWith((r) => putPushRule(r, "sender", BOB, { actions: ["notify", { set_tweak: "sound", value: "bob.wav" }] }));
    expect(outcome(event("m.room.encrypted", {}), { rules })).toMatchObject({ ruleId: BOB, tweaks: { sound: "bob.wav" } });
    expect(outcome({ ...text("x"), sender: "@carol:example.org" }, { rules })?.ruleId).toBe(".m.rule.message");
  });

  test("user underrides come before the default underrides", () => {
    const rules = rulesWith((r) => putPushRule(r, "underride", "stickers", { conditions: [{ kind: "event_match", key: "type", pattern: "m.sticker" }], actions: ["notify"] }));
    expect(outcome(event("m.sticker", { body: "s" }), { rules })?.ruleId).toBe("stickers");
  });

  test("a disabled user rule is skipped", () => {
    const rules = rulesWith(
      (r) => putPushRule(r, "content", "kw", { pattern: "hi", actions: ["notify", { set_tweak: "highlight" }] }),
      (r) => setPushRuleEnabled(r, "content", "kw", false),
    );
    expect(outcome(text("hi"), { rules })?.ruleId).toBe(".m.rule.message");
  });

  test("a user rule naming the user literally still works after the shared rules ran", () => {
    const rules = rulesWith((r) => putPushRule(r, "override", "me", { conditions: [{ kind: "event_match", key: "sender", pattern: ALICE }], actions: [] }));
    const ctx = pushEventContext({ ...text("x"), sender: ALICE }, facts());
    expect(evaluatePushRules(DEFAULT_PUSH_RULES, ctx, { userId: BOB })?.ruleId).toBe(".m.rule.message");
    expect(evaluatePushRules(compilePushRules(rules), ctx, { userId: ALICE })?.ruleId).toBe("me");
  });
});

describe("users an event names", () => {
  const named = (ev: JsonObject) => [...(usersNamedByEvent(pushEventContext(ev, facts())) ?? [])].sort();

  test("a member event names its target, a mention list its users, lowercased; a plain message nobody", () => {
    expect(named(event("m.room.member", { membership: "invite" }, { state_key: "@Carol:example.org" }))).toEqual(["@carol:example.org"]);
    expect(named(text("hi", { "m.mentions": { user_ids: [ALICE, 7, BOB] } }))).toEqual([ALICE, BOB]);
    expect(named(text("hi alice"))).toEqual([]);
  });

  test("a user the event does not name gets from the defaults what any such user gets", () => {
    const cases = [
      text("hi"),
      text("hi", { "m.mentions": { user_ids: [BOB] } }),
      event("m.room.member", { membership: "invite" }, { state_key: BOB }),
      event("m.room.member", { membership: "join" }, { state_key: BOB }),
      event("m.room.tombstone", { body: "moved" }, { state_key: "" }),
    ];
    for (const ev of cases) {
      expect(named(ev)).not.toContain(ALICE);
      const ctx = pushEventContext(ev, facts());
      expect(evaluatePushRules(DEFAULT_PUSH_RULES, ctx, { userId: ALICE })).toEqual(evaluatePushRules(DEFAULT_PUSH_RULES, ctx, { userId: "@someone:else" }));
    }
  });
});
