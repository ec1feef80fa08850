// Device keys as /keys/upload receives them: owner and device must match the uploader, keys and
// signatures must be well formed, every refusal names its field; self-signatures are left to the
// clients that verify them.
import { describe, expect, test } from "bun:test";
import { checkDeviceKeys, type JsonObject } from "../../../src/core";
import { testDevice } from "../../helpers/e2ee-keys";

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

  test("keys are relayed as given, whatever their signatures say: clients judge them", () => {
    const opaque = {
      user_id: owner.userId,
      device_id: owner.deviceId,
      algorithms: ["m.olm.v1.curve25519-aes-sha2"],
      keys: { "ed25519:DEV1": "ed25519+key", "curve25519:DEV1": "curve25519+key" },
      signatures: { [owner.userId]: { "ed25519:DEV1": "self+signature" } },
    };
    const result = checkDeviceKeys(opaque, owner);
    expect(result.ok && result.value.ed25519).toBe("ed25519+key");
    // A usable key with a signature that does not verify (SyTest uploads such keys).
    const forged = checkDeviceKeys({ ...opaque, keys: { ...opaque.keys, "ed25519:DEV1": device.signing.publicKey } }, owner);
    expect(forged.ok && forged.value.json.signatures).toEqual(opaque.signatures);
    // Without a key for the device at all there is nothing the server could check.
    const keyless = checkDeviceKeys({ ...opaque, keys: { "ed25519:other": "x" }, signatures: {} }, owner);
    expect(keyless.ok && keyless.value.ed25519).toBeUndefined();
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
