import { describe, expect, test } from "bun:test";
import { MAX_PDU_BYTES, validatePdu } from "../../../src/core/events/pdu-format.ts";
import { canonicalJson } from "../../../src/core/json/canonical-json.ts";
import { rulesFor } from "../../../src/core/room-versions.ts";

const HASH_ID = "$aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_abcde";
const HASH_ROOM = "!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ";

/** A valid PDU of each event format: v1 (rooms 1-2), v2 (room 3), v3 (rooms 4-11), and v12 rooms. */
function pduFor(version: string): Record<string, unknown> {
  const rules = rulesFor(version);
  const base = {
    sender: "@alice:example.org",
    type: "m.room.message",
    content: { body: "hi" },
    origin_server_ts: 1712345678901,
    depth: 3,
    hashes: { sha256: "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos" },
    signatures: { "example.org": { "ed25519:1": "sig" } },
    unsigned: { age: 1 },
  };
  if (rules.eventIdInEvent) {
    const ref = ["$prev:example.org", { sha256: "abc" }];
    return { ...base, event_id: "$e1:example.org", room_id: "!r:example.org", prev_events: [ref], auth_events: [ref] };
  }
  const id = rules.urlSafeEventIds ? HASH_ID : HASH_ID.replace("-_", "+/");
  const roomId = rules.roomIdIsCreateEventHash ? HASH_ROOM : "!r:example.org";
  return { ...base, room_id: roomId, prev_events: [id], auth_events: [id] };
}

function without(value: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = value;
  return rest;
}

function reasonFor(value: unknown, version: string): string {
  const check = validatePdu(value, rulesFor(version));
  if (check.valid) throw new Error("accepted");
  return check.reason;
}

const VERSIONS = ["1", "2", "3", "4", "6", "10", "11", "12"];

describe("validatePdu accepts", () => {
  test.each(VERSIONS)("a well-formed PDU of room version %s", (version) => {
    const pdu = pduFor(version);
    expect(validatePdu(pdu, rulesFor(version))).toEqual({ valid: true, pdu: pdu as never });
  });

  test("a state event, and a v12 create event without room_id", () => {
    expect(validatePdu({ ...pduFor("12"), type: "m.room.name", state_key: "" }, rulesFor("12")).valid).toBe(true);
    const create = without({ ...pduFor("12"), type: "m.room.create", state_key: "", prev_events: [], auth_events: [] }, "room_id");
    expect(validatePdu(create, rulesFor("12")).valid).toBe(true);
    // Before v12 the create event has a room id like every other.
    expect(reasonFor(create, "11")).toMatch(/room_id/);
  });

  test("v1 references whose hashes object is empty, as Synapse sends for events it batched", () => {
    const ref = ["$prev:example.org", {}];
    expect(validatePdu({ ...pduFor("1"), prev_events: [ref], auth_events: [ref] }, rulesFor("1")).valid).toBe(true);
    // The second element must still be an object.
    expect(reasonFor({ ...pduFor("1"), prev_events: [["$prev:example.org", "x"]] }, "1")).toMatch(/prev_events/);
  });

  test("a historical sender and exactly the size and count limits", () => {
    expect(validatePdu({ ...pduFor("12"), sender: "@Old User!:example.org" }, rulesFor("12")).valid).toBe(true);
    const full = { ...pduFor("12"), prev_events: Array(20).fill(HASH_ID), auth_events: Array(10).fill(HASH_ID) };
    expect(validatePdu(full, rulesFor("12")).valid).toBe(true);
    const pdu = pduFor("12");
    const padding = MAX_PDU_BYTES - canonicalJson({ ...pdu, content: { body: "" } }).length;
    expect(validatePdu({ ...pdu, content: { body: "x".repeat(padding) } }, rulesFor("12")).valid).toBe(true);
    expect(reasonFor({ ...pdu, content: { body: "x".repeat(padding + 1) } }, "12")).toMatch(/65536-byte limit/);
  });
});

describe("validatePdu rejects", () => {
  const v12 = pduFor("12");
  test.each<[string, unknown, RegExp]>([
    ["a non-object", [v12], /JSON object/],
    ["a float anywhere", { ...v12, content: { n: 1.5 } }, /canonical JSON/],
    ["an integer out of range", { ...v12, content: { n: 2 ** 53 } }, /canonical JSON/],
    ["a lone surrogate", { ...v12, content: { body: "\ud800" } }, /canonical JSON/],
    ["a size over 64 KiB counted in UTF-8 bytes", { ...v12, content: { body: "é".repeat(33_000) } }, /byte limit/],
    ["a missing type", without(v12, "type"), /`type`/],
    ["a type over 255 bytes", { ...v12, type: "t".repeat(256) }, /`type`/],
    ["a state_key over 255 bytes", { ...v12, state_key: "é".repeat(128) }, /`state_key`/],
    ["a non-string state_key", { ...v12, state_key: 1 }, /`state_key`/],
    ["a bad sender", { ...v12, sender: "alice" }, /`sender`/],
    ["a sender over 255 bytes", { ...v12, sender: `@${"a".repeat(250)}:example.org` }, /`sender`/],
    ["a v12 room id with a domain", { ...v12, room_id: "!r:example.org" }, /create event hash/],
    ["a missing room id", without(v12, "room_id"), /`room_id`/],
    ["an event_id in a v3+ format", { ...v12, event_id: HASH_ID }, /derived/],
    ["a non-object content", { ...v12, content: "x" }, /`content`/],
    ["a missing origin_server_ts", without(v12, "origin_server_ts"), /origin_server_ts/],
    ["a negative depth", { ...v12, depth: -1 }, /`depth`/],
    ["a string depth", { ...v12, depth: "3" }, /`depth`/],
    ["missing hashes", without(v12, "hashes"), /hashes/],
    ["a non-string hash", { ...v12, hashes: { sha256: 1 } }, /hashes/],
    ["non-string signatures", { ...v12, signatures: { "example.org": { "ed25519:1": 1 } } }, /signatures/],
    ["a signatures array", { ...v12, signatures: [] }, /signatures/],
    ["a non-object unsigned", { ...v12, unsigned: [] }, /unsigned/],
    ["21 prev_events", { ...v12, prev_events: Array(21).fill(HASH_ID) }, /prev_events.*limit of 20/],
    ["11 auth_events", { ...v12, auth_events: Array(11).fill(HASH_ID) }, /auth_events.*limit of 10/],
    ["a missing prev_events", without(v12, "prev_events"), /prev_events/],
    ["a v1-style reference in a v3+ format", { ...v12, prev_events: [["$p:example.org", { sha256: "x" }]] }, /prev_events/],
    ["a standard-alphabet id in a url-safe format", { ...v12, auth_events: [HASH_ID.replace("-_", "+/")] }, /auth_events/],
  ])("%s", (_, value, reason) => {
    expect(reasonFor(value, "12")).toMatch(reason);
  });

  test("v1 format: event_id required, references must be [id, hashes] pairs", () => {
    const v1 = pduFor("1");
    expect(reasonFor(without(v1, "event_id"), "1")).toMatch(/event_id/);
    expect(reasonFor({ ...v1, event_id: "$nodomain" }, "1")).toMatch(/event_id/);
    expect(reasonFor({ ...v1, prev_events: ["$p:example.org"] }, "1")).toMatch(/prev_events/);
    expect(reasonFor({ ...v1, auth_events: [["$p:example.org"]] }, "1")).toMatch(/auth_events/);
    expect(reasonFor({ ...v1, auth_events: [["$p:example.org", []]] }, "1")).toMatch(/auth_events/);
    expect(reasonFor({ ...v1, room_id: HASH_ROOM }, "1")).toMatch(/!opaque:domain/);
  });

  test("before v11 a top-level `redacts` must be an event id; since v11 it is just another key", () => {
    const redaction = { ...pduFor("10"), type: "m.room.redaction", redacts: 5 };
    expect(reasonFor(redaction, "10")).toMatch(/redacts/);
    expect(validatePdu({ ...redaction, redacts: HASH_ID }, rulesFor("10")).valid).toBe(true);
    expect(validatePdu({ ...pduFor("11"), redacts: 5 }, rulesFor("11")).valid).toBe(true);
  });

  test("nesting deeper than 128 levels", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 130; i++) deep = [deep];
    expect(reasonFor({ ...v12, content: { deep } }, "12")).toMatch(/nesting/);
  });
});
