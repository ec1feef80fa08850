// The signature check of federation PDUs: an event checked once (and so carrying its derived
// event id locally) must still verify when checked again, e.g. an invite countersigned by the
// invitee's server.
import { describe, expect, test } from "bun:test";
import {
  checkPdu,
  generateSigningSeed,
  hashAndSignEvent,
  publicKeyFromSeed,
  rulesFor,
  signedWith,
  signEvent,
  type KeyTable,
  type KnownKey,
} from "../../../src/core";

const seedA = generateSigningSeed();
const seedB = generateSigningSeed();
const known = (seed: Uint8Array): KnownKey => ({ key: publicKeyFromSeed(seed), validUntilTs: Number.MAX_SAFE_INTEGER, expiredTs: null });
const keys: KeyTable = new Map([
  ["a.example\u0000ed25519:a", known(seedA)],
  ["b.example\u0000ed25519:b", known(seedB)],
]);

describe.each(["1", "4", "11", "12"])("room version %s", (version) => {
  const rules = rulesFor(version);
  const template = {
    ...(rules.eventIdInEvent ? { event_id: "$invite:a.example" } : {}),
    room_id: rules.roomIdIsCreateEventHash ? "!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ" : "!room:a.example",
    sender: "@alice:a.example",
    type: "m.room.member",
    state_key: "@bob:b.example",
    content: { membership: "invite" },
    origin_server_ts: 1_700_000_000_000,
    depth: 5,
    prev_events: [],
    auth_events: [],
  };

  test("a checked event keeps verifying for its signers, and a countersignature verifies", () => {
    const { pdu } = hashAndSignEvent(template as never, rules, "a.example", "ed25519:a", seedA);
    const countersigned = signEvent(pdu, rules, "b.example", "ed25519:b", seedB);
    const verdict = checkPdu(countersigned, rules, keys);
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(typeof verdict.pdu.event_id).toBe("string");
    expect(signedWith(verdict.pdu, "a.example", rules, keys)).toBe(true);
    expect(signedWith(verdict.pdu, "b.example", rules, keys)).toBe(true);
    // Not signed by b: the check must fail.
    const only = checkPdu(pdu, rules, keys);
    expect(only.ok && signedWith(only.pdu, "b.example", rules, keys)).toBe(false);
  });
});

describe("numbers canonical JSON cannot carry (a transaction parsed leniently)", () => {
  const template = (version: string) => ({
    ...(rulesFor(version).eventIdInEvent ? { event_id: "$float:a.example" } : {}),
    room_id: rulesFor(version).roomIdIsCreateEventHash ? "!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ" : "!room:a.example",
    sender: "@alice:a.example",
    type: "m.room.message",
    content: { body: "x", n: 1 },
    origin_server_ts: 1_700_000_000_000,
    depth: 5,
    prev_events: [],
    auth_events: [],
  });
  const withFloat = (version: string) => {
    const rules = rulesFor(version);
    const { pdu, eventId } = hashAndSignEvent(template(version) as never, rules, "a.example", "ed25519:a", seedA);
    return { rules, eventId, pdu: { ...pdu, content: { body: "x", n: 1.5 } } };
  };

  test.each(["6", "10", "12"])("room version %s refuses the PDU, naming it", (version) => {
    const { rules, eventId, pdu } = withFloat(version);
    const verdict = checkPdu(pdu, rules, keys);
    expect(verdict).toMatchObject({ ok: false, eventId, reason: expect.stringContaining("canonical JSON") });
  });

  test.each(["1", "5"])("room version %s keeps it redacted, as for a bad content hash", (version) => {
    const { rules, eventId, pdu } = withFloat(version);
    const verdict = checkPdu(pdu, rules, keys);
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.redacted).toBe(true);
    expect(verdict.pdu.event_id).toBe(eventId);
    expect(verdict.pdu.content).toEqual({});
  });

  test("a float where redaction keeps it (the depth) cannot be named in room version 12", () => {
    const rules = rulesFor("12");
    const { pdu } = hashAndSignEvent(template("12") as never, rules, "a.example", "ed25519:a", seedA);
    expect(checkPdu({ ...pdu, depth: 5.5 }, rules, keys)).toMatchObject({ ok: false, eventId: undefined });
  });
});
