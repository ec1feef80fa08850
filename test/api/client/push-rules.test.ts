// The server-default push rules, as clients read them before their first /sync.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TestServer } from "../../helpers/server";
import { serverWithUsers, type TestUser } from "../../helpers/users";

let server: TestServer;
let alice: TestUser;
beforeAll(async () => {
  ({ server, users: { alice } } = await serverWithUsers(["alice"]));
});
afterAll(() => server.stop());

type Rule = { rule_id: string; enabled: boolean; default: boolean; conditions: Record<string, unknown>[]; actions: unknown[] };
type Ruleset = Record<"override" | "content" | "room" | "sender" | "underride", Rule[]>;

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
