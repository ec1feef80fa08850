// Push rule management over HTTP (spec "Push Rules: API"): the predefined rules, creating,
// ordering, reading, enabling, changing actions and deleting rules of every kind, every refusal
// with its status and errcode, and the changes reaching /sync as `m.push_rules` account data.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestServer } from "../../helpers/server";
import { syncClient } from "../../helpers/sync";
import { serverWithUsers, type TestUser } from "../../helpers/users";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
beforeAll(async () => {
  ({ server, users: { alice, bob } } = await serverWithUsers(["alice", "bob"]));
});
afterAll(() => server.stop());

type Rule = { rule_id: string; enabled: boolean; default: boolean; conditions?: Record<string, unknown>[]; actions: unknown[]; pattern?: string };
type Ruleset = Record<"override" | "content" | "room" | "sender" | "underride", Rule[]>;
type ErrorBody = { errcode: string; error: string };

const enc = encodeURIComponent;
const ids = async (who: TestUser, kind: keyof Ruleset) => (await who.call<Ruleset>("GET", "/pushrules/global/")).body[kind].map((r) => r.rule_id);

test("GET /pushrules/ and /pushrules/global/ give the spec's predefined rules in order", async () => {
  const all = await alice.call<{ global: Ruleset }>("GET", "/pushrules/");
  expect(all.status).toBe(200);
  const global = await alice.call<Ruleset>("GET", "/pushrules/global/");
  expect(global.body).toEqual(all.body.global);
  const { override, content, room, sender, underride } = all.body.global;
  expect(override.map((r) => r.rule_id)).toEqual([
    ".m.rule.master", ".m.rule.suppress_notices", ".m.rule.invite_for_me", ".m.rule.member_event",
    ".m.rule.is_user_mention", ".m.rule.is_room_mention", ".m.rule.tombstone", ".m.rule.reaction",
    ".m.rule.room.server_acl", ".m.rule.suppress_edits",
  ]);
  expect([content, room, sender]).toEqual([[], [], []]);
  expect(underride.map((r) => r.rule_id)).toEqual([
    ".m.rule.call", ".m.rule.encrypted_room_one_to_one", ".m.rule.room_one_to_one", ".m.rule.message", ".m.rule.encrypted",
  ]);
  expect(override[0]!.enabled).toBe(false);
  expect([...override, ...underride].every((r) => r.default && r.rule_id.startsWith("."))).toBe(true);
  // Rules about "me" name the requesting user.
  const invite = override.find((r) => r.rule_id === ".m.rule.invite_for_me")!;
  expect(invite.conditions).toContainEqual({ kind: "event_match", key: "state_key", pattern: alice.id });
  const mention = override.find((r) => r.rule_id === ".m.rule.is_user_mention")!;
  expect(mention.conditions).toEqual([{ kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: alice.id }]);
});

test("GET /pushrules/global/{kind}/ gives that kind's rules (as Synapse serves it)", async () => {
  const global = (await alice.call<Ruleset>("GET", "/pushrules/global/")).body;
  for (const kind of ["override", "underride", "room"] as const) {
    const res = await alice.call<Rule[]>("GET", `/pushrules/global/${kind}/`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(global[kind]);
  }
  expect((await alice.call("GET", "/pushrules/global/nonsense/")).status).toBe(400);
});

describe("user-defined rules", () => {
  test("a rule of each kind is created, read back, and shown in the rule set", async () => {
    const bodies: Record<string, Record<string, unknown>> = {
      override: { conditions: [{ kind: "event_match", key: "content.body", pattern: "beer" }], actions: ["notify"] },
      underride: { conditions: [{ kind: "event_match", key: "type", pattern: "m.sticker" }], actions: ["notify"] },
      content: { pattern: "cake*lie", actions: ["notify", { set_tweak: "sound", value: "cakealarm.wav" }] },
      room: { actions: [] },
      sender: { actions: [] },
    };
    const ruleIds: Record<string, string> = { override: "beer", underride: "stickers", content: "nocake", room: "!r:localhost", sender: "@spam:localhost" };
    for (const [kind, body] of Object.entries(bodies)) {
      const ruleId = ruleIds[kind]!;
      expect((await bob.call("PUT", `/pushrules/global/${kind}/${enc(ruleId)}`, body)).status).toBe(200);
      const got = await bob.call<Rule>("GET", `/pushrules/global/${kind}/${enc(ruleId)}`);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ rule_id: ruleId, default: false, enabled: true, actions: body.actions });
      if (kind === "content") expect(got.body.pattern).toBe("cake*lie");
      if (kind === "override" || kind === "underride") expect(got.body.conditions).toEqual(body.conditions as Record<string, unknown>[]);
      if (kind === "room" || kind === "sender") expect(Object.keys(got.body).sort()).toEqual(["actions", "default", "enabled", "rule_id"]);
    }
    const set = (await bob.call<Ruleset>("GET", "/pushrules/global/")).body;
    expect(set.override.slice(0, 2).map((r) => r.rule_id)).toEqual([".m.rule.master", "beer"]);
    expect(set.underride[0]!.rule_id).toBe("stickers");
    expect(set.content.map((r) => r.rule_id)).toEqual(["nocake"]);
  });

  test("new rules come first; before and after place them; both given, before decides", async () => {
    const put = (id: string, query = "") => alice.call("PUT", `/pushrules/global/content/${id}${query}`, { pattern: id, actions: ["notify"] });
    await put("a");
    await put("b");
    expect(await ids(alice, "content")).toEqual(["b", "a"]);
    await put("c", "?after=b");
    await put("d", "?before=b");
    expect(await ids(alice, "content")).toEqual(["d", "b", "c", "a"]);
    await put("e", "?before=a&after=d");
    expect(await ids(alice, "content")).toEqual(["d", "b", "c", "e", "a"]);
    // Updating in place keeps the place; with before/after it moves.
    await put("c");
    expect(await ids(alice, "content")).toEqual(["d", "b", "c", "e", "a"]);
    await put("a", "?before=d");
    expect(await ids(alice, "content")).toEqual(["a", "d", "b", "c", "e"]);
  });

  test("enabled and actions of user and server-default rules are read and set", async () => {
    expect((await alice.call("GET", "/pushrules/global/override/.m.rule.master/enabled")).body).toEqual({ enabled: false });
    expect((await alice.call("PUT", "/pushrules/global/override/.m.rule.master/enabled", { enabled: true })).status).toBe(200);
    expect((await alice.call("GET", "/pushrules/global/override/.m.rule.master/enabled")).body).toEqual({ enabled: true });
    await alice.call("PUT", "/pushrules/global/override/.m.rule.master/enabled", { enabled: false });

    const actions = ["notify", { set_tweak: "sound", value: "bing" }];
    expect((await alice.call("PUT", "/pushrules/global/underride/.m.rule.message/actions", { actions })).status).toBe(200);
    expect((await alice.call("GET", "/pushrules/global/underride/.m.rule.message/actions")).body).toEqual({ actions });
    const message = (await alice.call<Rule>("GET", "/pushrules/global/underride/.m.rule.message")).body;
    expect(message).toMatchObject({ default: true, enabled: true, actions });

    expect((await alice.call("PUT", "/pushrules/global/content/a", { pattern: "a", actions: ["notify"] })).status).toBe(200);
    await alice.call("PUT", "/pushrules/global/content/a/enabled", { enabled: false });
    expect((await alice.call<Rule>("GET", "/pushrules/global/content/a")).body.enabled).toBe(false);
    await alice.call("PUT", "/pushrules/global/content/a/actions", { actions: ["dont_notify"] });
    expect((await alice.call<Rule>("GET", "/pushrules/global/content/a")).body.actions).toEqual(["dont_notify"]);
  });

  test("a deleted rule is gone; deleting it again is 404", async () => {
    expect((await alice.call("PUT", "/pushrules/global/content/e", { pattern: "e", actions: ["notify"] })).status).toBe(200);
    expect((await alice.call("DELETE", "/pushrules/global/content/e")).status).toBe(200);
    expect(await ids(alice, "content")).not.toContain("e");
    const again = await alice.call<ErrorBody>("DELETE", "/pushrules/global/content/e");
    expect([again.status, again.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
  });

  test("rules are per user", async () => {
    expect((await bob.call("PUT", "/pushrules/global/content/bobs", { pattern: "bobs", actions: ["notify"] })).status).toBe(200);
    expect((await alice.call("PUT", "/pushrules/global/content/alices", { pattern: "alices", actions: ["notify"] })).status).toBe(200);
    expect(await ids(bob, "content")).toContain("bobs");
    expect(await ids(bob, "content")).not.toContain("alices");
    expect(await ids(alice, "content")).not.toContain("bobs");
  });
});

describe("refusals", () => {
  const cases: [string, string, string, unknown, number, string][] = [
    ["an unknown rule", "GET", "/pushrules/global/content/nope", undefined, 404, "M_NOT_FOUND"],
    ["enabled of an unknown rule", "GET", "/pushrules/global/room/nope/enabled", undefined, 404, "M_NOT_FOUND"],
    ["setting actions of an unknown rule", "PUT", "/pushrules/global/room/nope/actions", { actions: [] }, 404, "M_NOT_FOUND"],
    ["a default rule under another kind", "PUT", "/pushrules/global/content/.m.rule.master/enabled", { enabled: true }, 404, "M_NOT_FOUND"],
    ["a rule id starting with a dot", "PUT", "/pushrules/global/override/.my.rule", { conditions: [], actions: [] }, 400, "M_INVALID_PARAM"],
    ["a rule id with a backslash", "PUT", `/pushrules/global/room/${enc("#fo\\o:example.com")}`, { actions: [] }, 400, "M_INVALID_PARAM"],
    ["a rule id with an encoded slash", "PUT", "/pushrules/global/room/a%2Fb", { actions: [] }, 400, "M_INVALID_PARAM"],
    ["an empty rule id", "PUT", "/pushrules/global/room/", { actions: [] }, 400, "M_INVALID_PARAM"],
    ["a missing rule id", "PUT", "/pushrules/global/room", { actions: [] }, 400, "M_INVALID_PARAM"],
    ["a missing kind", "PUT", "/pushrules/global", { actions: [] }, 400, "M_INVALID_PARAM"],
    ["an unknown scope", "PUT", "/pushrules/device/room/r", { actions: [] }, 400, "M_INVALID_PARAM"],
    ["an unknown kind", "PUT", "/pushrules/global/not_a_template/foo", { actions: [] }, 400, "M_INVALID_PARAM"],
    ["no actions", "PUT", "/pushrules/global/room/r", {}, 400, "M_MISSING_PARAM"],
    ["an unknown action", "PUT", "/pushrules/global/room/r", { actions: ["not_an_action"] }, 400, "M_INVALID_PARAM"],
    ["an override without conditions", "PUT", "/pushrules/global/override/o", { actions: [] }, 400, "M_MISSING_PARAM"],
    ["a condition without kind", "PUT", "/pushrules/global/underride/u", { conditions: [{}], actions: [] }, 400, "M_INVALID_PARAM"],
    ["a content rule without pattern", "PUT", "/pushrules/global/content/c", { actions: [] }, 400, "M_MISSING_PARAM"],
    ["before an unknown rule", "PUT", "/pushrules/global/content/c?before=nope", { pattern: "x", actions: [] }, 400, "M_INVALID_PARAM"],
    ["after a server-default rule", "PUT", "/pushrules/global/override/o?after=.m.rule.master", { conditions: [], actions: [] }, 400, "M_INVALID_PARAM"],
    ["an unknown attribute", "PUT", "/pushrules/global/override/.m.rule.master/not_an_attr", { enabled: true }, 400, "M_INVALID_PARAM"],
    ["enabled that is not a boolean", "PUT", "/pushrules/global/override/.m.rule.master/enabled", { enabled: "not a boolean" }, 400, "M_INVALID_PARAM"],
    ["deleting a server-default rule", "DELETE", "/pushrules/global/override/.m.rule.master", undefined, 400, "M_INVALID_PARAM"],
    ["reading the scope without its slash", "GET", "/pushrules/global", undefined, 400, "M_INVALID_PARAM"],
    ["reading a kind without a rule", "GET", "/pushrules/global/room", undefined, 400, "M_INVALID_PARAM"],
    ["reading an unknown scope", "GET", "/pushrules/not_a_scope/", undefined, 400, "M_INVALID_PARAM"],
    ["reading an unknown attribute", "GET", "/pushrules/global/override/.m.rule.master/not_an_attr", undefined, 400, "M_INVALID_PARAM"],
  ];
  for (const [name, method, path, body, status, errcode] of cases) {
    test(`${name}: ${status} ${errcode}`, async () => {
      const before = (await alice.call<Ruleset>("GET", "/pushrules/global/")).body;
      const res = await alice.call<ErrorBody>(method, path, body);
      expect([res.status, res.body.errcode]).toEqual([status, errcode]);
      expect(res.body.error.length).toBeGreaterThan(5);
      // A refused change changes nothing.
      expect((await alice.call<Ruleset>("GET", "/pushrules/global/")).body).toEqual(before);
    });
  }

  test("/pushrules without its trailing slash is not an endpoint", async () => {
    expect((await alice.call("GET", "/pushrules")).status).toBe(404);
  });
});

describe("m.push_rules in /sync", () => {
  const pushRulesIn = (events: { type: string; content: Record<string, unknown> }[]) =>
    events.find((e) => e.type === "m.push_rules")?.content as { global: Ruleset } | undefined;

  test("every initial sync carries the rules; an incremental one only after a change, with the full rule set", async () => {
    const sync = syncClient(alice.call);
    const initial = await sync.next();
    expect(pushRulesIn(initial.account_data.events)?.global).toEqual((await alice.call<Ruleset>("GET", "/pushrules/global/")).body);
    const idle = await sync.next({ timeout: "0" });
    expect(pushRulesIn(idle.account_data.events)).toBeUndefined();

    const waiting = sync.next({ timeout: "10000" });
    await alice.call("PUT", "/pushrules/global/room/!quiet:localhost", { actions: [] });
    const changed = pushRulesIn((await waiting).account_data.events);
    expect(changed?.global.room.map((r) => r.rule_id)).toEqual(["!quiet:localhost"]);
    expect(changed?.global.override[0]!.rule_id).toBe(".m.rule.master");
    const after = await sync.next({ timeout: "0" });
    expect(pushRulesIn(after.account_data.events)).toBeUndefined();
  });

  test("a refused change reaches nobody's sync", async () => {
    const sync = syncClient(alice.call);
    await sync.next();
    await alice.call("PUT", "/pushrules/global/room/r", { actions: ["nope"] });
    expect(pushRulesIn((await sync.next({ timeout: "0" })).account_data.events)).toBeUndefined();
  });
});
