// Rule management as pure edits: creation, ordering with before/after, updates, deletion,
// enabled and actions of user and server-default rules, and every refusal.
import { describe, expect, test } from "bun:test";
import {
  copyRoomPushRules,
  deletePushRule,
  emptyUserPushRules,
  isPushRuleProblem,
  parseUserPushRules,
  putPushRule,
  renderPushRules,
  setPushRuleActions,
  setPushRuleEnabled,
  type PushRuleEdit,
  type UserPushRules,
} from "../../../src/core";

const ALICE = "@alice:example.org";

function ok(result: PushRuleEdit): UserPushRules {
  if (!("rules" in result)) throw new Error(`refused: ${result.message}`);
  return result.rules;
}
function refused(result: PushRuleEdit) {
  if ("rules" in result) throw new Error("accepted");
  return result;
}
const content = (pattern: string) => ({ pattern, actions: ["notify"] });
const ids = (rules: UserPushRules, kind: "content" | "override" = "content") => renderPushRules(ALICE, rules)[kind].map((r) => r.rule_id);

describe("creating and ordering", () => {
  test("new rules come first of their kind; before/after place them next to a user rule", () => {
    let rules = ok(putPushRule(emptyUserPushRules(), "content", "a", content("a")));
    rules = ok(putPushRule(rules, "content", "b", content("b")));
    expect(ids(rules)).toEqual(["b", "a"]);
    rules = ok(putPushRule(rules, "content", "c", content("c"), { after: "b" }));
    expect(ids(rules)).toEqual(["b", "c", "a"]);
    rules = ok(putPushRule(rules, "content", "d", content("d"), { before: "b" }));
    expect(ids(rules)).toEqual(["d", "b", "c", "a"]);
    rules = ok(putPushRule(rules, "content", "e", content("e"), { after: "a" }));
    expect(ids(rules)).toEqual(["d", "b", "c", "a", "e"]);
  });

  test("with both before and after, before decides", () => {
    let rules = ok(putPushRule(emptyUserPushRules(), "content", "a", content("a")));
    rules = ok(putPushRule(rules, "content", "b", content("b")));
    rules = ok(putPushRule(rules, "content", "c", content("c"), { before: "a", after: "b" }));
    expect(ids(rules)).toEqual(["b", "c", "a"]);
  });

  test("updating keeps the place and whether the rule is enabled; before/after move it", () => {
    let rules = ok(putPushRule(emptyUserPushRules(), "content", "a", content("a")));
    rules = ok(putPushRule(rules, "content", "b", content("b")));
    rules = ok(setPushRuleEnabled(rules, "content", "a", false));
    rules = ok(putPushRule(rules, "content", "a", content("new")));
    const shown = renderPushRules(ALICE, rules).content;
    expect(shown.map((r) => r.rule_id)).toEqual(["b", "a"]);
    expect(shown[1]).toEqual({ rule_id: "a", default: false, enabled: false, actions: ["notify"], pattern: "new" });
    rules = ok(putPushRule(rules, "content", "a", content("new"), { before: "b" }));
    expect(ids(rules)).toEqual(["a", "b"]);
  });

  test("adding the same rule twice is idempotent", () => {
    const once = ok(putPushRule(emptyUserPushRules(), "room", "!r:x", { actions: [] }));
    expect(ok(putPushRule(once, "room", "!r:x", { actions: [] }))).toEqual(once);
  });

  test("user overrides sit after .m.rule.master and before the other defaults; underrides before the default underrides", () => {
    let rules = ok(putPushRule(emptyUserPushRules(), "override", "mine", { conditions: [], actions: [] }));
    rules = ok(putPushRule(rules, "underride", "low", { conditions: [], actions: ["notify"] }));
    const set = renderPushRules(ALICE, rules);
    expect(set.override.slice(0, 3).map((r) => r.rule_id)).toEqual([".m.rule.master", "mine", ".m.rule.suppress_notices"]);
    expect(set.underride[0]).toEqual({ rule_id: "low", default: false, enabled: true, conditions: [], actions: ["notify"] });
    expect(set.underride[1]!.rule_id).toBe(".m.rule.call");
  });

  test("room and sender rules show no conditions or pattern; historical actions are kept as given", () => {
    const rules = ok(putPushRule(emptyUserPushRules(), "sender", "@spam:x", { actions: ["dont_notify", "coalesce"], conditions: [{ kind: "x" }], pattern: "p" }));
    expect(renderPushRules(ALICE, rules).sender).toEqual([{ rule_id: "@spam:x", default: false, enabled: true, actions: ["dont_notify", "coalesce"] }]);
  });
});

describe("refusals", () => {
  const cases: [string, PushRuleEdit, "invalid" | "missing" | "not_found"][] = [
    ["a rule id starting with a dot", putPushRule(emptyUserPushRules(), "override", ".m.rule.master", { conditions: [], actions: [] }), "invalid"],
    ["a rule id with a slash", putPushRule(emptyUserPushRules(), "room", "a/b", { actions: [] }), "invalid"],
    ["a rule id with a backslash", putPushRule(emptyUserPushRules(), "room", "#fo\\o:example.com", { actions: [] }), "invalid"],
    ["an empty rule id", putPushRule(emptyUserPushRules(), "room", "", { actions: [] }), "invalid"],
    ["a body that is not an object", putPushRule(emptyUserPushRules(), "room", "r", []), "invalid"],
    ["no actions", putPushRule(emptyUserPushRules(), "room", "r", {}), "missing"],
    ["actions that are not an array", putPushRule(emptyUserPushRules(), "room", "r", { actions: "notify" }), "invalid"],
    ["an unknown action", putPushRule(emptyUserPushRules(), "room", "r", { actions: ["not_an_action"] }), "invalid"],
    ["a tweak object without set_tweak", putPushRule(emptyUserPushRules(), "room", "r", { actions: [{ value: 1 }] }), "invalid"],
    ["an override without conditions", putPushRule(emptyUserPushRules(), "override", "r", { actions: [] }), "missing"],
    ["an underride without conditions", putPushRule(emptyUserPushRules(), "underride", "r", { actions: [] }), "missing"],
    ["a condition without kind", putPushRule(emptyUserPushRules(), "underride", "r", { conditions: [{}], actions: [] }), "invalid"],
    ["event_match without pattern", putPushRule(emptyUserPushRules(), "override", "r", { conditions: [{ kind: "event_match", key: "type" }], actions: [] }), "invalid"],
    ["event_property_is with a compound value", putPushRule(emptyUserPushRules(), "override", "r", { conditions: [{ kind: "event_property_is", key: "k", value: [1] }], actions: [] }), "invalid"],
    ["event_property_is with a float", putPushRule(emptyUserPushRules(), "override", "r", { conditions: [{ kind: "event_property_is", key: "k", value: 1.5 }], actions: [] }), "invalid"],
    ["room_member_count with a bad `is`", putPushRule(emptyUserPushRules(), "override", "r", { conditions: [{ kind: "room_member_count", is: "about 3" }], actions: [] }), "invalid"],
    ["a content rule without pattern", putPushRule(emptyUserPushRules(), "content", "r", { actions: [] }), "missing"],
    ["a content rule with a non-string pattern", putPushRule(emptyUserPushRules(), "content", "r", { pattern: 3, actions: [] }), "invalid"],
    ["before an unknown rule", putPushRule(emptyUserPushRules(), "content", "r", content("x"), { before: "nope" }), "invalid"],
    ["after a server-default rule", putPushRule(emptyUserPushRules(), "override", "r", { conditions: [], actions: [] }, { after: ".m.rule.master" }), "invalid"],
    ["deleting a server-default rule", deletePushRule(emptyUserPushRules(), "override", ".m.rule.master"), "invalid"],
    ["deleting an unknown rule", deletePushRule(emptyUserPushRules(), "content", "nope"), "not_found"],
    ["enabling an unknown rule", setPushRuleEnabled(emptyUserPushRules(), "room", "nope", true), "not_found"],
    ["a default rule of another kind", setPushRuleEnabled(emptyUserPushRules(), "underride", ".m.rule.master", true), "not_found"],
    ["enabled that is not a boolean", setPushRuleEnabled(emptyUserPushRules(), "override", ".m.rule.master", "not a boolean"), "invalid"],
    ["actions for an unknown rule", setPushRuleActions(emptyUserPushRules(), "room", "nope", []), "not_found"],
    ["bad actions for a default rule", setPushRuleActions(emptyUserPushRules(), "override", ".m.rule.master", ["nope"]), "invalid"],
  ];
  for (const [name, result, problem] of cases) {
    test(name, () => {
      const r = refused(result);
      expect(isPushRuleProblem(r)).toBe(true);
      expect(r.problem).toBe(problem);
      expect(r.message.length).toBeGreaterThan(5);
    });
  }

  test("a rule cannot be placed relative to itself", () => {
    const rules = ok(putPushRule(emptyUserPushRules(), "content", "a", content("a")));
    expect(refused(putPushRule(rules, "content", "a", content("a"), { before: "a" })).problem).toBe("invalid");
  });
});

describe("changing and deleting", () => {
  test("server-default rules keep their place when their enabled state or actions change", () => {
    let rules = ok(setPushRuleEnabled(emptyUserPushRules(), "override", ".m.rule.master", true));
    rules = ok(setPushRuleActions(rules, "underride", ".m.rule.message", ["notify", { set_tweak: "sound", value: "bing" }]));
    const set = renderPushRules(ALICE, rules);
    expect(set.override[0]).toEqual({ rule_id: ".m.rule.master", default: true, enabled: true, conditions: [], actions: [] });
    const message = set.underride.find((r) => r.rule_id === ".m.rule.message")!;
    expect(message.actions).toEqual(["notify", { set_tweak: "sound", value: "bing" }]);
    expect(set.underride.map((r) => r.rule_id)).toEqual(renderPushRules(ALICE).underride.map((r) => r.rule_id));
  });

  test("deleting a user rule removes it and nothing else", () => {
    let rules = ok(putPushRule(emptyUserPushRules(), "content", "a", content("a")));
    rules = ok(putPushRule(rules, "content", "b", content("b")));
    rules = ok(deletePushRule(rules, "content", "a"));
    expect(ids(rules)).toEqual(["b"]);
  });

  test("the stored form reads back to the same rules", () => {
    let rules = ok(putPushRule(emptyUserPushRules(), "override", "o", { conditions: [{ kind: "event_match", key: "type", pattern: "x" }], actions: [] }));
    rules = ok(setPushRuleEnabled(rules, "underride", ".m.rule.message", false));
    expect(parseUserPushRules(JSON.stringify(rules))).toEqual(rules);
    expect(renderPushRules(ALICE, parseUserPushRules(JSON.stringify(rules)))).toEqual(renderPushRules(ALICE, rules));
  });
});

describe("room upgrades", () => {
  const OLD = "!old:example.org";
  const NEW = "!new:example.org";
  const inRoom = (roomId: string) => ({ actions: ["notify"], conditions: [{ kind: "event_match", key: "room_id", pattern: roomId }] });

  test("the old room's rules get twins for the new room, right after them; others stay alone", () => {
    let rules = ok(putPushRule(emptyUserPushRules(), "room", OLD, { actions: ["notify", { set_tweak: "sound", value: "default" }] }));
    rules = ok(putPushRule(rules, "override", `mute ${OLD}`, inRoom(OLD)));
    rules = ok(putPushRule(rules, "override", "elsewhere", inRoom("!other:example.org"), { after: `mute ${OLD}` }));
    rules = ok(putPushRule(rules, "content", "cats", content("cats")));
    const copied = copyRoomPushRules(rules, OLD, NEW);
    if (!copied) throw new Error("nothing copied");
    const set = renderPushRules(ALICE, copied);
    expect(set.room.filter((r) => !r.default).map((r) => [r.rule_id, r.actions])).toEqual([
      [OLD, ["notify", { set_tweak: "sound", value: "default" }]],
      [NEW, ["notify", { set_tweak: "sound", value: "default" }]],
    ]);
    expect(ids(copied, "override").filter((id) => !id.startsWith("."))).toEqual([`mute ${OLD}`, `mute ${NEW}`, "elsewhere"]);
    expect(set.override.find((r) => r.rule_id === `mute ${NEW}`)?.conditions).toEqual([{ kind: "event_match", key: "room_id", pattern: NEW }]);
    expect(ids(copied)).toEqual(["cats"]);
    // Copying again finds the twins in place.
    expect(copyRoomPushRules(copied, OLD, NEW)).toBeNull();
  });

  test("no rule for the old room: nothing to copy", () => {
    expect(copyRoomPushRules(ok(putPushRule(emptyUserPushRules(), "content", "a", content("a"))), OLD, NEW)).toBeNull();
  });
});
