// Device keys as /keys/upload receives them: owner and device must match the uploader, the
// device's Ed25519 key must sign them (when it is a usable key), every refusal names its field, and re-uploads may add keys
// but never change or drop an identity key.
import { describe, expect, test } from "bun:test";
import { changedIdentityKey, checkDeviceKeys, type JsonObject } from "../../../src/core";
import { randomKey, testDevice } from "../../helpers/e2ee-keys";

const owner = { userId: "@alice:a.test", deviceId: "DEV1" };
const device = testDevice(owner.userId, owner.deviceId);

function problem(value: unknown) {
  const result = checkDeviceKeys(value, owner);
  if (result.ok) throw new Error("expected a refusal");
  return result.problem;
}

describe("checkDeviceKeys", () => {
  test("accepts correctly signed keys and returns them without unsigned", () => {
    const keys: JsonObject = { ...device.deviceKeys(), unsigned: { device_display_name: "spoofed" } };
    const result = checkDeviceKeys(keys, owner);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.ed25519).toBe(device.signing.publicKey);
    expect(result.value.curve25519).toBe(device.curve25519);
    expect(result.value.json.unsigned).toBeUndefined();
    expect(result.value.json.signatures).toEqual(keys.signatures);
  });

  test("keys of another user or another device are refused as invalid parameters", () => {
    const other = testDevice("@mallory:a.test", "DEV1");
    expect(problem(other.deviceKeys())).toMatchObject({ errcode: "M_INVALID_PARAM", field: "device_keys.user_id" });
    const otherDevice = testDevice(owner.userId, "DEV2");
    expect(problem(otherDevice.deviceKeys())).toMatchObject({ errcode: "M_INVALID_PARAM", field: "device_keys.device_id" });
  });

  test("a wrong, missing or foreign signature is refused", () => {
    const keys = device.deviceKeys();
    const tampered = { ...keys, algorithms: ["m.olm.v1.curve25519-aes-sha2"] };
    expect(problem(tampered)).toMatchObject({ errcode: "M_INVALID_SIGNATURE", field: 'device_keys.signatures["@alice:a.test"]["ed25519:DEV1"]' });
    expect(problem({ ...keys, signatures: {} }).errcode).toBe("M_INVALID_SIGNATURE");
    // Signed by a different key than the one the object names.
    const impostor = testDevice(owner.userId, owner.deviceId);
    const foreign = { ...impostor.deviceKeys(), keys: device.deviceKeys().keys } as JsonObject;
    expect(problem(foreign).errcode).toBe("M_INVALID_SIGNATURE");
  });

  test("keys the server cannot verify with are relayed as given; clients judge them", () => {
    const opaque = {
      user_id: owner.userId,
      device_id: owner.deviceId,
      algorithms: ["m.olm.v1.curve25519-aes-sha2"],
      keys: { "ed25519:DEV1": "ed25519+key", "curve25519:DEV1": "curve25519+key" },
      signatures: { [owner.userId]: { "ed25519:DEV1": "self+signature" } },
    };
    const result = checkDeviceKeys(opaque, owner);
    expect(result.ok && result.value.ed25519).toBe("ed25519+key");
    // A usable Ed25519 key with a signature that does not verify is still refused.
    const forged = { ...opaque, keys: { ...opaque.keys, "ed25519:DEV1": device.signing.publicKey } };
    expect(problem(forged).errcode).toBe("M_INVALID_SIGNATURE");
  });

  test.each([
    ["not an object", () => [], "device_keys"],
    ["null user_id", () => ({ ...device.deviceKeys(), user_id: null }), "device_keys.user_id"],
    ["numeric device_id", () => ({ ...device.deviceKeys(), device_id: 7 }), "device_keys.device_id"],
    ["algorithms not an array", () => ({ ...device.deviceKeys(), algorithms: "m.megolm.v1.aes-sha2" }), "device_keys.algorithms"],
    ["an empty algorithm", () => ({ ...device.deviceKeys(), algorithms: [""] }), "device_keys.algorithms[0]"],
    ["keys not an object", () => ({ ...device.deviceKeys(), keys: ["x"] }), "device_keys.keys"],
    ["a key that is not a string", () => ({ ...device.deviceKeys(), keys: { ...device.deviceKeys().keys as JsonObject, "curve25519:DEV1": 5 } }), 'device_keys.keys["curve25519:DEV1"]'],
    ["a badly named key", () => ({ ...device.deviceKeys(), keys: { ...device.deviceKeys().keys as JsonObject, nocolon: "x" } }), "device_keys.keys.nocolon"],
    ["no Ed25519 key", () => ({ ...device.deviceKeys(), keys: { "curve25519:DEV1": randomKey() } }), 'device_keys.keys["ed25519:DEV1"]'],
    ["an empty Ed25519 key", () => ({ ...device.deviceKeys(), keys: { "ed25519:DEV1": "" } }), 'device_keys.keys["ed25519:DEV1"]'],
    ["signatures not an object", () => ({ ...device.deviceKeys(), signatures: "sig" }), "device_keys.signatures"],
    ["a signature that is not a string", () => ({ ...device.deviceKeys(), signatures: { "@alice:a.test": { "ed25519:DEV1": 1 } } }), 'device_keys.signatures["@alice:a.test"]["ed25519:DEV1"]'],
    ["dehydrated not a boolean", () => ({ ...device.deviceKeys(), dehydrated: "yes" }), "device_keys.dehydrated"],
  ])("malformed: %s", (_, make, field) => {
    expect(problem(make())).toMatchObject({ errcode: "M_BAD_JSON", field });
  });

  test("the message names the field", () => {
    expect(problem({ ...device.deviceKeys(), user_id: null }).message).toStartWith("device_keys.user_id: ");
  });
});

describe("changedIdentityKey", () => {
  const stored = device.deviceKeys();
  test("the same keys, new signatures or added keys are no change", () => {
    expect(changedIdentityKey(stored, device.deviceKeys({ algorithms: ["m.megolm.v1.aes-sha2"] }))).toBeUndefined();
    const added = { ...stored, keys: { ...(stored.keys as JsonObject), "ed25519:extra": randomKey() } };
    expect(changedIdentityKey(stored, added)).toBeUndefined();
  });
  test("a changed or dropped identity key is named", () => {
    const changed = { ...stored, keys: { ...(stored.keys as JsonObject), "curve25519:DEV1": randomKey() } };
    expect(changedIdentityKey(stored, changed)).toBe("curve25519:DEV1");
    const dropped = { ...stored, keys: { "ed25519:DEV1": device.signing.publicKey } };
    expect(changedIdentityKey(stored, dropped)).toBe("curve25519:DEV1");
  });
});
