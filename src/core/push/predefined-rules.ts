/**
 * The server-default push rules of spec v1.19 ("Predefined Rules"), in their order. Since v1.17
 * the legacy rules that looked for mentions in `body` (`.m.rule.contains_display_name`,
 * `.m.rule.roomnotif`, `.m.rule.contains_user_name`) are gone: mentions use `m.mentions`.
 * `.m.rule.master` is listed first and always stays ahead of user-defined override rules.
 */
import type { JsonObject } from "../types.ts";
import type { PushAction, PushCondition, PushRule, PushRuleKind, PushRuleSet } from "./push-rule-types.ts";

const rule = (rule_id: string, conditions: PushCondition[], actions: PushAction[], enabled = true): PushRule => ({
  rule_id,
  default: true,
  enabled,
  conditions,
  actions,
});
const match = (key: string, pattern: string): PushCondition => ({ kind: "event_match", key, pattern });
const sound = (value: string): JsonObject => ({ set_tweak: "sound", value });
const highlight: JsonObject = { set_tweak: "highlight" };

/** The predefined rules for `userId`: the rules about "me" name that user. */
export function predefinedPushRules(userId: string): PushRuleSet {
  return {
    override: [
      rule(".m.rule.master", [], [], false),
      rule(".m.rule.suppress_notices", [match("content.msgtype", "m.notice")], []),
      rule(
        ".m.rule.invite_for_me",
        [match("type", "m.room.member"), match("content.membership", "invite"), match("state_key", userId)],
        ["notify", sound("default")],
      ),
      rule(".m.rule.member_event", [match("type", "m.room.member")], []),
      rule(
        ".m.rule.is_user_mention",
        [{ kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: userId }],
        ["notify", sound("default"), highlight],
      ),
      rule(
        ".m.rule.is_room_mention",
        [
          { kind: "event_property_is", key: "content.m\\.mentions.room", value: true },
          { kind: "sender_notification_permission", key: "room" },
        ],
        ["notify", highlight],
      ),
      rule(".m.rule.tombstone", [match("type", "m.room.tombstone"), match("state_key", "")], ["notify", highlight]),
      rule(".m.rule.reaction", [match("type", "m.reaction")], []),
      rule(".m.rule.room.server_acl", [match("type", "m.room.server_acl"), match("state_key", "")], []),
      rule(".m.rule.suppress_edits", [{ kind: "event_property_is", key: "content.m\\.relates_to.rel_type", value: "m.replace" }], []),
    ],
    content: [],
    room: [],
    sender: [],
    underride: [
      rule(".m.rule.call", [match("type", "m.call.invite")], ["notify", sound("ring")]),
      rule(
        ".m.rule.encrypted_room_one_to_one",
        [{ kind: "room_member_count", is: "2" }, match("type", "m.room.encrypted")],
        ["notify", sound("default")],
      ),
      rule(".m.rule.room_one_to_one", [{ kind: "room_member_count", is: "2" }, match("type", "m.room.message")], ["notify", sound("default")]),
      rule(".m.rule.message", [match("type", "m.room.message")], ["notify"]),
      rule(".m.rule.encrypted", [match("type", "m.room.encrypted")], ["notify"]),
    ],
  };
}

/** Server-default rule ids start with a dot; clients may not create such rules. */
export function isServerDefaultRuleId(ruleId: string): boolean {
  return ruleId.startsWith(".");
}

/** Whether a predefined rule of that kind has that id. */
export function isPredefinedRule(kind: PushRuleKind, ruleId: string): boolean {
  return predefinedIds[kind].has(ruleId);
}

const predefinedIds: Record<PushRuleKind, Set<string>> = (() => {
  const set = predefinedPushRules("@x:x");
  return {
    override: new Set(set.override.map((r) => r.rule_id)),
    content: new Set(set.content.map((r) => r.rule_id)),
    room: new Set(set.room.map((r) => r.rule_id)),
    sender: new Set(set.sender.map((r) => r.rule_id)),
    underride: new Set(set.underride.map((r) => r.rule_id)),
  };
})();
