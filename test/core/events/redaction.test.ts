import { describe, expect, test } from "bun:test";
import { redact } from "../../../src/core/events/redaction.ts";
import { rulesFor } from "../../../src/core/room-versions.ts";
import type { JsonObject, Pdu } from "../../../src/core/types.ts";

const ALL_VERSIONS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];
const since = (version: string, first: number) => Number(version) >= first;

function event(type: string, content: JsonObject, extra: Record<string, unknown> = {}): Pdu {
  return {
    room_id: "!r:example.org",
    sender: "@a:example.org",
    type,
    state_key: "",
    content,
    origin_server_ts: 1,
    depth: 5,
    prev_events: ["$p"],
    auth_events: ["$a"],
    hashes: { sha256: "h" },
    signatures: { "example.org": { "ed25519:1": "s" } },
    ...extra,
  };
}

const contentAfter = (version: string, pdu: Pdu) => redact(pdu, rulesFor(version)).content;

describe("redaction: top-level keys", () => {
  const pdu = event("m.room.message", { body: "hi" }, {
    event_id: "$e:example.org",
    origin: "example.org",
    membership: "join",
    prev_state: [],
    unsigned: { age_ts: 1 },
    age_ts: 1,
    redacts: "$x",
    extra_key: true,
  });

  test.each(ALL_VERSIONS)("room version %s", (version) => {
    const kept = [
      "event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth",
      "prev_events", "auth_events", "origin_server_ts",
      // since v11: origin, membership and prev_state are no longer protected.
      ...(since(version, 11) ? [] : ["origin", "membership", "prev_state"]),
    ];
    const redacted = redact(pdu, rulesFor(version));
    expect(Object.keys(redacted).sort()).toEqual(kept.sort());
    expect(redacted.content).toEqual({});
    expect(redacted.signatures).toEqual(pdu.signatures);
  });

  test("does not touch its input", () => {
    const before = structuredClone(pdu);
    redact(pdu, rulesFor("11"));
    expect(pdu).toEqual(before);
  });

  test("tolerates a missing or non-object content", () => {
    const { content: _content, ...withoutContent } = event("m.room.member", {});
    expect(redact(withoutContent as Pdu, rulesFor("11")).content).toEqual({});
    expect(redact({ ...event("m.room.member", {}), content: [] as never }, rulesFor("1")).content).toEqual({});
  });
});

describe("redaction: content per event type", () => {
  test.each(ALL_VERSIONS)("m.room.member, room version %s", (version) => {
    const content = {
      membership: "join",
      join_authorised_via_users_server: "@admin:example.org",
      displayname: "A",
      avatar_url: "mxc://x/y",
      third_party_invite: { display_name: "a@b", signed: { mxid: "@a:example.org", token: "t", signatures: {} } },
    };
    const expected: JsonObject = { membership: "join" };
    // since v9: join_authorised_via_users_server survives.
    if (since(version, 9)) expected.join_authorised_via_users_server = "@admin:example.org";
    // since v11: third_party_invite.signed survives, alone.
    if (since(version, 11)) expected.third_party_invite = { signed: content.third_party_invite.signed };
    expect(contentAfter(version, event("m.room.member", content))).toEqual(expected);
  });

  test("m.room.member without third_party_invite.signed keeps no third_party_invite (v11)", () => {
    const pdu = event("m.room.member", { membership: "invite", third_party_invite: { display_name: "x" } });
    expect(contentAfter("11", pdu)).toEqual({ membership: "invite" });
    expect(contentAfter("12", event("m.room.member", { membership: "invite", third_party_invite: "x" }))).toEqual({
      membership: "invite",
    });
  });

  test.each(ALL_VERSIONS)("m.room.create, room version %s", (version) => {
    const content = { creator: "@a:example.org", room_version: version, "m.federate": false, additional_creators: [] };
    // since v11: the whole content survives.
    const expected = since(version, 11) ? content : { creator: "@a:example.org" };
    expect(contentAfter(version, event("m.room.create", content))).toEqual(expected);
  });

  test.each(ALL_VERSIONS)("m.room.join_rules, room version %s", (version) => {
    const content = { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: "!o:x" }], other: 1 };
    // since v8: allow survives.
    const expected: JsonObject = { join_rule: "restricted" };
    if (since(version, 8)) expected.allow = content.allow;
    expect(contentAfter(version, event("m.room.join_rules", content))).toEqual(expected);
  });

  test.each(ALL_VERSIONS)("m.room.power_levels, room version %s", (version) => {
    const content = {
      ban: 50, events: { "m.room.name": 50 }, events_default: 0, invite: 0, kick: 50, redact: 50,
      state_default: 50, users: { "@a:example.org": 100 }, users_default: 0,
      notifications: { room: 50 }, other: 1,
    };
    const { invite, notifications: _n, other: _o, ...v1Kept } = content;
    // since v11: invite survives.
    const expected = since(version, 11) ? { ...v1Kept, invite } : v1Kept;
    expect(contentAfter(version, event("m.room.power_levels", content))).toEqual(expected);
  });

  test.each(ALL_VERSIONS)("m.room.aliases, room version %s", (version) => {
    const pdu = event("m.room.aliases", { aliases: ["#a:example.org"], other: 1 }, { state_key: "example.org" });
    // since v6: aliases are no longer special.
    expect(contentAfter(version, pdu)).toEqual(since(version, 6) ? {} : { aliases: ["#a:example.org"] });
  });

  test.each(ALL_VERSIONS)("m.room.history_visibility, room version %s", (version) => {
    const pdu = event("m.room.history_visibility", { history_visibility: "shared", other: 1 });
    expect(contentAfter(version, pdu)).toEqual({ history_visibility: "shared" });
  });

  test.each(ALL_VERSIONS)("m.room.redaction, room version %s", (version) => {
    const { state_key: _s, ...message } = event("m.room.redaction", { redacts: "$t", reason: "spam" }, { redacts: "$t" });
    const redacted = redact(message as Pdu, rulesFor(version));
    // since v11: content.redacts survives; the top-level `redacts` never does.
    expect(redacted.content).toEqual(since(version, 11) ? { redacts: "$t" } : {});
    expect(Object.hasOwn(redacted, "redacts")).toBe(false);
  });

  test.each(["m.room.message", "m.room.name", "m.room.topic", "m.room.encrypted", "m.room.third_party_invite"])(
    "%s loses all content",
    (type) => {
      for (const version of ALL_VERSIONS) expect(contentAfter(version, event(type, { body: "x", name: "y" }))).toEqual({});
    },
  );

  test("a __proto__ key in content is dropped as data, never followed", () => {
    const content = JSON.parse('{"__proto__":{"membership":"ban"},"membership":"join"}') as JsonObject;
    const redacted = contentAfter("11", event("m.room.member", content));
    expect(redacted).toEqual({ membership: "join" });
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
  });
});
