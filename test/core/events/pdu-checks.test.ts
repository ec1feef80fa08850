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
