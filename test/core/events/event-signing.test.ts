import { describe, expect, test } from "bun:test";
import vectors from "../../fixtures/spec-test-vectors.json";
import { generateSigningSeed, publicKeyFromSeed } from "../../../src/core/crypto/ed25519.ts";
import { referenceSha256 } from "../crypto/reference.ts";
import { decodeBase64 } from "../../../src/core/encoding/base64.ts";
import { contentHash, eventIdFor, referenceHash, roomIdFor } from "../../../src/core/events/event-hashes.ts";
import {
  checkContentHash,
  hashAndSignEvent,
  signEvent,
  verifyEventSignature,
} from "../../../src/core/events/event-signing.ts";
import { canonicalJson } from "../../../src/core/json/canonical-json.ts";
import { rulesFor } from "../../../src/core/room-versions.ts";
import type { Pdu, PduTemplate } from "../../../src/core/types.ts";

const { seed_base64_unpadded, server_name, key_id } = vectors.signing_key;
const seed = decodeBase64(seed_base64_unpadded);
const publicKey = publicKeyFromSeed(seed);

// The spec's examples predate v11: they keep `origin`, so they need pre-v11 redaction rules. The
// second carries an `event_id` (room versions 1-2); the first has none (so room version 4 here).
const vectorRooms = ["4", "1"];

describe("spec event signing vectors", () => {
  test.each(vectors.event_signing.map((v, i) => [i, v] as const))("vector %d, byte for byte", (i, vector) => {
    const rules = rulesFor(vectorRooms[i]!);
    const { pdu } = hashAndSignEvent(vector.input as unknown as Pdu, rules, server_name, key_id, seed);
    expect(canonicalJson(pdu)).toBe(canonicalJson(vector.expected_signed));
    expect(verifyEventSignature(pdu, rules, server_name, key_id, publicKey)).toBe(true);
    expect(checkContentHash(pdu)).toBe(true);
  });

  test("v11 redaction drops `origin`, so the same event gets another signature", () => {
    const vector = vectors.event_signing[0]!;
    const { pdu } = hashAndSignEvent(vector.input as unknown as Pdu, rulesFor("11"), server_name, key_id, seed);
    expect(pdu.hashes.sha256).toBe(vector.expected_signed.hashes.sha256);
    expect(pdu.signatures.domain![key_id]).not.toBe(vector.expected_signed.signatures.domain["ed25519:1"]);
  });

  test("Synapse's minimal event (room version 1)", () => {
    const minimal = {
      event_id: "$0:domain",
      origin: "domain",
      origin_server_ts: 1000000,
      signatures: {},
      type: "X",
      unsigned: { age_ts: 1000000 },
    } as unknown as Pdu;
    const { pdu, eventId } = hashAndSignEvent(minimal, rulesFor("1"), server_name, key_id, seed);
    expect(pdu.hashes.sha256).toBe("6tJjLpXtggfke8UxFhAKg82QVkJzvKOVOOSjUDK4ZSI");
    expect(pdu.signatures.domain![key_id]).toBe(
      "2Wptgo4CwmLo/Y8B8qinxApKaCkBG2fjTWB7AbP5Uy+aIbygsSdLOFzvdDjww8zUVKCmI02eP9xtyJxc/cLiBA",
    );
    expect(eventId).toBe("$0:domain");
  });
});

function message(overrides: Partial<Pdu> = {}): Pdu {
  return {
    room_id: "!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ",
    sender: "@alice:example.org",
    type: "m.room.message",
    content: { body: "hello", msgtype: "m.text" },
    origin_server_ts: 1712345678901,
    depth: 7,
    prev_events: ["$aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_abcde"],
    auth_events: [],
    hashes: { sha256: "" },
    signatures: {},
    unsigned: { age: 10 },
    ...overrides,
  };
}

describe("content hash", () => {
  test("ignores unsigned, signatures and hashes; covers everything else", () => {
    const base = message();
    const hash = contentHash(base);
    expect(contentHash({ ...base, unsigned: { age: 99 }, signatures: { x: { y: "z" } }, hashes: { sha256: "q" } })).toBe(hash);
    expect(contentHash({ ...base, content: { body: "hellO", msgtype: "m.text" } })).not.toBe(hash);
    expect(contentHash({ ...base, extra: 1 })).not.toBe(hash);
  });

  test("checkContentHash spots changed content, accepts padding, never throws", () => {
    const seed2 = generateSigningSeed();
    const { pdu } = hashAndSignEvent(message(), rulesFor("12"), "example.org", "ed25519:a", seed2);
    expect(checkContentHash(pdu)).toBe(true);
    expect(checkContentHash({ ...pdu, hashes: { sha256: pdu.hashes.sha256 + "=" } })).toBe(true);
    expect(checkContentHash({ ...pdu, content: { body: "changed" } })).toBe(false);
    expect(checkContentHash({ ...pdu, hashes: { sha256: "not base64!" } })).toBe(false);
    expect(checkContentHash({ ...pdu, hashes: {} as never })).toBe(false);
    expect(checkContentHash({ ...pdu, content: { n: 1.5 } })).toBe(false);
    expect(checkContentHash(null as never)).toBe(false);
  });
});

describe("reference hash and ids", () => {
  /** Independent computation: redacted form written out by hand, pure-JS SHA-256, Buffer Base64. */
  function expectedReferenceHash(pdu: Pdu): Buffer {
    const redacted = {
      room_id: pdu.room_id, sender: pdu.sender, type: pdu.type, content: {}, origin_server_ts: pdu.origin_server_ts,
      depth: pdu.depth, prev_events: pdu.prev_events, auth_events: pdu.auth_events, hashes: pdu.hashes,
    };
    return Buffer.from(referenceSha256(canonicalJson(redacted)));
  }

  test("event ids: standard Base64 in room 3, url-safe in rooms 4+, carried in rooms 1-2", () => {
    for (let i = 0; i < 200; i++) {
      const pdu = message({ depth: i, hashes: { sha256: `h${i}` } });
      const expected = expectedReferenceHash(pdu);
      const standard = expected.toString("base64").replace(/=+$/, "");
      expect(referenceHash(pdu, rulesFor("3"))).toBe(standard);
      expect(eventIdFor(pdu, rulesFor("3"))).toBe("$" + standard);
      for (const version of ["4", "10", "11", "12"]) {
        expect(eventIdFor(pdu, rulesFor(version))).toBe("$" + expected.toString("base64url"));
      }
    }
    expect(eventIdFor(message({ event_id: "$abc:example.org" }), rulesFor("2"))).toBe("$abc:example.org");
    expect(() => eventIdFor(message(), rulesFor("1"))).toThrow();
  });

  test("ignores signatures, unsigned and whatever redaction strips", () => {
    const pdu = message();
    const id = eventIdFor(pdu, rulesFor("12"));
    expect(eventIdFor({ ...pdu, signatures: { a: { b: "c" } }, unsigned: {}, content: { body: "other" } }, rulesFor("12"))).toBe(id);
    expect(eventIdFor({ ...pdu, origin: "example.org" }, rulesFor("12"))).toBe(id); // since v11: origin is stripped
    expect(eventIdFor({ ...pdu, origin: "example.org" }, rulesFor("10"))).not.toBe(eventIdFor(pdu, rulesFor("10")));
    expect(eventIdFor({ ...pdu, depth: 8 }, rulesFor("12"))).not.toBe(id);
  });

  test("v12 room id: `!` + the create event's url-safe reference hash, which is also its event id", () => {
    const rules = rulesFor("12");
    const template: PduTemplate = {
      sender: "@alice:example.org",
      type: "m.room.create",
      state_key: "",
      content: { room_version: "12" },
      origin_server_ts: 1712345678901,
      depth: 1,
      prev_events: [],
      auth_events: [],
    };
    const { pdu: create, eventId } = hashAndSignEvent(template, rules, server_name, key_id, seed);
    const roomId = roomIdFor(create, rules);
    expect(roomId).toMatch(/^![A-Za-z0-9_-]{43}$/);
    expect(roomId.slice(1)).toBe(eventId.slice(1));
    expect(Object.hasOwn(create, "room_id")).toBe(false);
    // Signatures are outside the reference hash: co-signing cannot move the room.
    expect(roomIdFor(signEvent(create, rules, "other.org", "ed25519:o", generateSigningSeed()), rules)).toBe(roomId);
    expect(() => roomIdFor(create, rulesFor("11"))).toThrow(RangeError);
  });
});

describe("event signatures", () => {
  const rules = rulesFor("12");
  const { pdu, eventId } = hashAndSignEvent(message(), rules, server_name, key_id, seed);

  test("survive redaction and content edits, but not changes to protected keys", () => {
    expect(eventId).toBe(eventIdFor(pdu, rules));
    expect(verifyEventSignature(pdu, rules, server_name, key_id, publicKey)).toBe(true);
    // The signature covers the redacted form: content of a message is not covered...
    expect(verifyEventSignature({ ...pdu, content: { body: "edited" } }, rules, server_name, key_id, publicKey)).toBe(true);
    // ...which is why the content hash exists.
    expect(checkContentHash({ ...pdu, content: { body: "edited" } })).toBe(false);
    for (const change of [{ sender: "@mallory:example.org" }, { depth: 8 }, { prev_events: [] }, { hashes: { sha256: "x" } }]) {
      expect(verifyEventSignature({ ...pdu, ...change }, rules, server_name, key_id, publicKey)).toBe(false);
    }
    expect(verifyEventSignature(pdu, rules, server_name, key_id, publicKeyFromSeed(generateSigningSeed()))).toBe(false);
    expect(verifyEventSignature(null as never, rules, server_name, key_id, publicKey)).toBe(false);
  });

  test("signEvent adds a co-signature and leaves hashes and other signatures alone", () => {
    const otherSeed = generateSigningSeed();
    const cosigned = signEvent(pdu, rules, "resident.org", "ed25519:r", otherSeed);
    expect(cosigned.hashes).toEqual(pdu.hashes);
    expect(verifyEventSignature(cosigned, rules, server_name, key_id, publicKey)).toBe(true);
    expect(verifyEventSignature(cosigned, rules, "resident.org", "ed25519:r", publicKeyFromSeed(otherSeed))).toBe(true);
    // Co-signing does not change the event id: signatures are outside the reference hash.
    expect(eventIdFor(cosigned, rules)).toBe(eventId);
  });
});
