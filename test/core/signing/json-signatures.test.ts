import { describe, expect, test } from "bun:test";
import vectors from "../../fixtures/spec-test-vectors.json";
import { generateSigningSeed, publicKeyFromSeed } from "../../../src/core/crypto/ed25519.ts";
import { decodeBase64 } from "../../../src/core/encoding/base64.ts";
import { canonicalJson } from "../../../src/core/json/canonical-json.ts";
import { signJson, verifyJsonSignature } from "../../../src/core/signing/json-signatures.ts";

const { seed_base64_unpadded, server_name, key_id } = vectors.signing_key;
const seed = decodeBase64(seed_base64_unpadded);
const publicKey = publicKeyFromSeed(seed);

describe("signJson", () => {
  test.each(vectors.json_signing.map((v, i) => [i, v] as const))("spec vector %d, byte for byte", (_, vector) => {
    const signed = signJson(vector.input, server_name, key_id, seed);
    expect(canonicalJson(signed)).toBe(canonicalJson(vector.expected_signed));
    expect(verifyJsonSignature(signed, server_name, key_id, publicKey)).toBe(true);
  });

  test("keeps other signatures and unsigned, which the signature does not cover", () => {
    const original = { a: 1, unsigned: { age: 5 }, signatures: { "other.org": { "ed25519:x": "sig" } } };
    const signed = signJson(original, "me.org", "ed25519:1", seed);
    expect(signed.signatures["other.org"]).toEqual({ "ed25519:x": "sig" });
    expect(signed.unsigned).toEqual({ age: 5 });
    expect(original.signatures).toEqual({ "other.org": { "ed25519:x": "sig" } }); // not mutated
    const changedUnsigned = { ...signed, unsigned: { age: 999 } };
    expect(verifyJsonSignature(changedUnsigned, "me.org", "ed25519:1", publicKey)).toBe(true);
    // Signing the same object again under the same name keeps our earlier key ids.
    const twice = signJson(signed, "me.org", "ed25519:2", seed);
    expect(Object.keys(twice.signatures["me.org"]!).sort()).toEqual(["ed25519:1", "ed25519:2"]);
  });

  test("throws on a value canonical JSON cannot carry", () => {
    expect(() => signJson({ a: 1.5 }, "me.org", "ed25519:1", seed)).toThrow();
  });
});

describe("verifyJsonSignature", () => {
  const signed = signJson({ hello: "world", n: [1, 2] }, "me.org", "ed25519:1", seed);

  test("fails when the signed content changes or the key is another", () => {
    expect(verifyJsonSignature({ ...signed, hello: "World" }, "me.org", "ed25519:1", publicKey)).toBe(false);
    expect(verifyJsonSignature({ ...signed, extra: true }, "me.org", "ed25519:1", publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, "me.org", "ed25519:1", publicKeyFromSeed(generateSigningSeed()))).toBe(false);
  });

  test("is false, never a throw, on malformed input", () => {
    const signature = signed.signatures["me.org"]!["ed25519:1"]!;
    const cases: unknown[] = [
      null,
      "string",
      [signed],
      { hello: "world" },
      { ...signed, signatures: null },
      { ...signed, signatures: [] },
      { ...signed, signatures: { "me.org": "x" } },
      { ...signed, signatures: { "me.org": { "ed25519:1": 5 } } },
      { ...signed, signatures: { "me.org": { "ed25519:1": "!!not base64!!" } } },
      { ...signed, signatures: { "me.org": { "ed25519:1": signature.slice(0, 40) } } },
      { ...signed, hello: 1.5 },
      { ...signed, hello: "\ud800" },
    ];
    for (const value of cases) expect(verifyJsonSignature(value, "me.org", "ed25519:1", publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, "other.org", "ed25519:1", publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, "me.org", "ed25519:2", publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, "me.org", "ed25519:1", new Uint8Array(3))).toBe(false);
    // A key id inherited from Object.prototype is not a signature.
    expect(verifyJsonSignature(signed, "me.org", "toString", publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, "constructor", "ed25519:1", publicKey)).toBe(false);
  });

  test("accepts padded Base64 signatures", () => {
    const signature = signed.signatures["me.org"]!["ed25519:1"]! + "==";
    const padded = { ...signed, signatures: { "me.org": { "ed25519:1": signature } } };
    expect(verifyJsonSignature(padded, "me.org", "ed25519:1", publicKey)).toBe(true);
  });
});
