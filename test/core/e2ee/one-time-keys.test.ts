// One-time and fallback key maps: names are <algorithm>:<id>, key objects must be signed by their
// device (when its key is known and usable), signed_* algorithms need key objects, one fallback key per
// algorithm, and every refusal names its field.
import { describe, expect, test } from "bun:test";
import { checkOneTimeKeys, type JsonObject } from "../../../src/core";
import { randomKey, testDevice } from "../../helpers/e2ee-keys";

const device = testDevice("@alice:a.test", "DEV1");
const signer = { userId: device.userId, deviceId: device.deviceId, ed25519: device.signing.publicKey };

function problem(value: unknown, field: "one_time_keys" | "fallback_keys" = "one_time_keys") {
  const result = checkOneTimeKeys(value, field, signer);
  if (result.ok) throw new Error("expected a refusal");
  return result.problem;
}

describe("checkOneTimeKeys", () => {
  test("accepts signed key objects and bare curve25519 keys", () => {
    const keys = { ...device.oneTimeKeys(3), "curve25519:plain": randomKey() };
    const result = checkOneTimeKeys(keys, "one_time_keys", signer);
    expect(result.ok && result.value.map((k) => `${k.algorithm}:${k.keyId}`).sort()).toEqual([
      "curve25519:plain",
      "signed_curve25519:AAAA0",
      "signed_curve25519:AAAA1",
      "signed_curve25519:AAAA2",
    ]);
  });

  test("a key object is verified against the device's key; without a usable key it is taken as is", () => {
    const other = testDevice(device.userId, device.deviceId);
    const forged = other.oneTimeKeys(1);
    expect(problem(forged)).toMatchObject({ errcode: "M_INVALID_SIGNATURE", field: 'one_time_keys["signed_curve25519:AAAA0"].signatures["@alice:a.test"]["ed25519:DEV1"]' });
    expect(checkOneTimeKeys(forged, "one_time_keys", { ...signer, ed25519: undefined }).ok).toBe(true);
    expect(checkOneTimeKeys(forged, "one_time_keys", { ...signer, ed25519: "ed25519+key" }).ok).toBe(true);
  });

  test("a tampered key object fails its signature", () => {
    const keys = device.oneTimeKeys(1) as Record<string, JsonObject>;
    const key = keys["signed_curve25519:AAAA0"]!;
    expect(problem({ "signed_curve25519:AAAA0": { ...key, key: randomKey() } }).errcode).toBe("M_INVALID_SIGNATURE");
  });

  test("fallback keys: one per algorithm", () => {
    const two = { ...device.fallbackKey("F1"), ...device.fallbackKey("F2") };
    expect(problem(two, "fallback_keys")).toMatchObject({ errcode: "M_INVALID_PARAM", field: 'fallback_keys["signed_curve25519:F2"]' });
    expect(checkOneTimeKeys(device.fallbackKey("F1"), "fallback_keys", signer).ok).toBe(true);
  });

  test.each([
    ["not an object", () => "keys", "one_time_keys"],
    ["a name without an id", () => ({ "signed_curve25519:": randomKey() }), 'one_time_keys["signed_curve25519:"]'],
    ["a name without an algorithm", () => ({ ":AAAA": randomKey() }), 'one_time_keys[":AAAA"]'],
    ["a null key", () => ({ "curve25519:A": null }), 'one_time_keys["curve25519:A"]'],
    ["a bare string for a signed algorithm", () => ({ "signed_curve25519:A": randomKey() }), 'one_time_keys["signed_curve25519:A"]'],
    ["a key object without key", () => ({ "signed_curve25519:A": { signatures: {} } }), 'one_time_keys["signed_curve25519:A"].key'],
    ["a key object without signatures", () => ({ "signed_curve25519:A": { key: randomKey() } }), 'one_time_keys["signed_curve25519:A"].signatures'],
    ["fallback not a boolean", () => ({ "signed_curve25519:A": device.sign({ key: randomKey(), fallback: "yes" }) }), 'one_time_keys["signed_curve25519:A"].fallback'],
  ])("malformed: %s", (_, make, field) => {
    expect(problem(make())).toMatchObject({ errcode: "M_BAD_JSON", field });
  });
});
