// Cross-signing keys: one Ed25519 key named by itself, the right owner and usage, and (but for the
// master key) a valid signature by the master key.
import { describe, expect, test } from "bun:test";
import { checkCrossSigningKey, crossSigningPublicKey } from "../../../src/core";
import { ed25519Pair, testCrossSigning } from "../../helpers/e2ee-keys";

const userId = "@alice:a.test";
const cs = testCrossSigning(userId);

function problem(value: unknown, usage: "master" | "self_signing" | "user_signing" = "master", master?: string) {
  const result = checkCrossSigningKey(value, "master_key", userId, usage, master);
  if (result.ok) throw new Error("expected a refusal");
  return result.problem;
}

describe("checkCrossSigningKey", () => {
  test("accepts a master key and keys signed by it", () => {
    const master = checkCrossSigningKey(cs.masterKey, "master_key", userId, "master", undefined);
    expect(master.ok && master.value.publicKey).toBe(cs.master.publicKey);
    expect(checkCrossSigningKey(cs.selfSigningKey, "self_signing_key", userId, "self_signing", cs.master.publicKey).ok).toBe(true);
    expect(checkCrossSigningKey(cs.userSigningKey, "user_signing_key", userId, "user_signing", cs.master.publicKey).ok).toBe(true);
    expect(crossSigningPublicKey(cs.selfSigningKey)).toBe(cs.selfSigning.publicKey);
  });

  test("a key signed by another master key, or by none, is refused", () => {
    const stranger = ed25519Pair().publicKey;
    expect(problem(cs.selfSigningKey, "self_signing", stranger).errcode).toBe("M_INVALID_SIGNATURE");
    expect(problem(cs.selfSigningKey, "self_signing", undefined).errcode).toBe("M_INVALID_PARAM");
  });

  test("owner and usage must match", () => {
    expect(problem({ ...cs.masterKey, user_id: "@bob:a.test" })).toMatchObject({ errcode: "M_INVALID_PARAM", field: "master_key.user_id" });
    expect(problem(cs.masterKey, "user_signing", cs.master.publicKey)).toMatchObject({ errcode: "M_INVALID_PARAM", field: "master_key.usage" });
  });

  test.each([
    ["not an object", () => null, "master_key"],
    ["usage not an array", () => ({ ...cs.masterKey, usage: "master" }), "master_key.usage"],
    ["two keys", () => ({ ...cs.masterKey, keys: { ...(cs.masterKey.keys as object), "ed25519:x": "x" } }), "master_key.keys"],
    ["a key id that is not its value", () => ({ ...cs.masterKey, keys: { [`ed25519:${cs.master.publicKey}`]: cs.selfSigning.publicKey } }), "master_key.keys"],
    ["a key of the wrong length", () => ({ ...cs.masterKey, keys: { "ed25519:AAAA": "AAAA" } }), "master_key.keys"],
    ["signatures not an object", () => ({ ...cs.masterKey, signatures: [] }), "master_key.signatures"],
  ])("malformed: %s", (_, make, field) => {
    expect(problem(make())).toMatchObject({ errcode: "M_BAD_JSON", field });
  });
});
