// Key upload, query and claim within one server: every upload is checked whole before anything is
// stored, a device may replace its keys, one-time keys go out once and in upload order, the fallback
// key stands in when they run out, and a changed device is announced.
import { beforeEach, describe, expect, test } from "bun:test";
import type { JsonObject } from "../../../src/core";
import { e2eeArea, refusal, type E2eeArea } from "../../helpers/e2ee-area";
import { randomKey, testDevice, type TestDevice } from "../../helpers/e2ee-keys";

let area: E2eeArea;
let alice: string;
let device: TestDevice;
beforeEach(async () => {
  area = await e2eeArea();
  alice = await area.addUser("alice", ["DEV1", "DEV2"]);
  device = testDevice(alice, "DEV1");
});

const upload = (body: unknown, deviceId = "DEV1") => area.e2ee.deviceKeys.upload(alice, deviceId, body);


describe("upload", () => {
  test("device keys, one-time keys and a fallback key in one request; counts always name signed_curve25519", () => {
    expect(upload({})).toEqual({ one_time_key_counts: { signed_curve25519: 0 } });
    const result = upload({ device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(5), fallback_keys: device.fallbackKey() });
    expect(result).toEqual({ one_time_key_counts: { signed_curve25519: 5 } });
    expect(area.e2ee.deviceKeys.unusedFallbackKeyTypes(alice, "DEV1")).toEqual(["signed_curve25519"]);
    const served = area.e2ee.deviceKeys.devicesOf(alice, [], true);
    expect(Object.keys(served)).toEqual(["DEV1"]);
    expect(served.DEV1!.unsigned).toEqual({ device_display_name: "DEV1 name" });
    expect(served.DEV1!.keys).toEqual(device.deviceKeys().keys);
  });

  test("a refused part stores nothing of the request", () => {
    const bad = { ...device.oneTimeKeys(1), "signed_curve25519:X": { key: randomKey(), signatures: {} } };
    const e = refusal(() => upload({ device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(3, "B"), fallback_keys: bad }));
    expect(e.errcode).toBe("M_INVALID_PARAM"); // two fallback keys of one algorithm
    expect(area.storage.e2eeKeys.getDeviceKeys(alice, "DEV1")).toBeNull();
    expect(area.e2ee.deviceKeys.counts(alice, "DEV1")).toEqual({ signed_curve25519: 0 });
    expect(area.e2ee.deviceKeys.unusedFallbackKeyTypes(alice, "DEV1")).toEqual([]);
    expect(area.edus).toEqual([]);
  });

  test("one-time keys for another device's signature, or another user's device keys, are refused", () => {
    upload({ device_keys: device.deviceKeys() });
    const forged = testDevice(alice, "DEV1").oneTimeKeys(1);
    expect(refusal(() => upload({ one_time_keys: forged })).errcode).toBe("M_INVALID_SIGNATURE");
    const bob = testDevice("@bob:a.test", "DEV1");
    expect(refusal(() => upload({ device_keys: bob.deviceKeys() })).message).toStartWith("device_keys.user_id");
    expect(refusal(() => upload({ device_keys: device.deviceKeys() }, "DEV2")).message).toStartWith("device_keys.device_id");
  });

  test("a device may upload new keys (a reset crypto store), new signatures and algorithms", () => {
    upload({ device_keys: device.deviceKeys() });
    const reset = testDevice(alice, "DEV1");
    upload({ device_keys: reset.deviceKeys() });
    expect(area.storage.e2eeKeys.getDeviceKeys(alice, "DEV1")).toContain(reset.signing.publicKey);
    upload({ device_keys: reset.deviceKeys({ algorithms: ["m.megolm.v1.aes-sha2"] }) });
    expect(area.storage.e2eeKeys.getDeviceKeys(alice, "DEV1")).toContain("m.megolm.v1.aes-sha2");
  });

  test("a one-time key id keeps its key; the same key again is accepted once", () => {
    const keys = device.oneTimeKeys(2);
    upload({ device_keys: device.deviceKeys(), one_time_keys: keys });
    expect(upload({ one_time_keys: keys }).one_time_key_counts.signed_curve25519).toBe(2);
    const clash = { "signed_curve25519:AAAA0": device.sign({ key: randomKey() }) };
    const e = refusal(() => upload({ one_time_keys: clash }));
    expect(e.message).toContain('one_time_keys["signed_curve25519:AAAA0"]');
    // Found inside the write: the rest of that request is rolled back with it.
    const stored = area.storage.e2eeKeys.getDeviceKeys(alice, "DEV1");
    refusal(() => upload({ device_keys: device.deviceKeys({ algorithms: ["x"] }), one_time_keys: clash, fallback_keys: device.fallbackKey() }));
    expect(area.storage.e2eeKeys.getDeviceKeys(alice, "DEV1")).toBe(stored);
    expect(area.e2ee.deviceKeys.unusedFallbackKeyTypes(alice, "DEV1")).toEqual([]);
  });

  test("re-uploading the same fallback key keeps it used; a new one is unused", () => {
    const fallback = device.fallbackKey("F1");
    upload({ device_keys: device.deviceKeys(), fallback_keys: fallback });
    area.e2ee.deviceKeys.claim(alice, "DEV1", "signed_curve25519");
    expect(area.e2ee.deviceKeys.unusedFallbackKeyTypes(alice, "DEV1")).toEqual([]);
    upload({ fallback_keys: fallback });
    expect(area.e2ee.deviceKeys.unusedFallbackKeyTypes(alice, "DEV1")).toEqual([]);
    upload({ fallback_keys: device.fallbackKey("F2") });
    expect(area.e2ee.deviceKeys.unusedFallbackKeyTypes(alice, "DEV1")).toEqual(["signed_curve25519"]);
  });

  test("new or changed device keys are a device-list change; the same keys again are not", () => {
    const before = area.e2ee.changes.position();
    upload({ device_keys: device.deviceKeys() });
    expect(area.e2ee.changes.position()).toBe(before + 1);
    expect(area.woken).toContain(alice);
    upload({ device_keys: device.deviceKeys() });
    expect(area.e2ee.changes.position()).toBe(before + 1);
  });
});

describe("claim", () => {
  test("one-time keys in upload order, then the fallback key again and again", () => {
    upload({ device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(2, "A") });
    upload({ one_time_keys: device.oneTimeKeys(1, "B"), fallback_keys: device.fallbackKey("FB") });
    const ids = [1, 2, 3, 4, 5].map(() => Object.keys(area.e2ee.deviceKeys.claim(alice, "DEV1", "signed_curve25519") ?? {})[0]);
    expect(ids.slice(0, 3).sort()).toEqual(["signed_curve25519:A0", "signed_curve25519:A1", "signed_curve25519:B0"]);
    expect(ids.slice(0, 2).every((id) => id!.includes(":A"))).toBe(true);
    expect(ids.slice(3)).toEqual(["signed_curve25519:FB", "signed_curve25519:FB"]);
    const claimed = area.e2ee.deviceKeys.claim(alice, "DEV1", "signed_curve25519")!;
    expect((claimed["signed_curve25519:FB"] as JsonObject).fallback).toBe(true);
  });

  test("nothing for an unknown device or algorithm", () => {
    upload({ device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(1) });
    expect(area.e2ee.deviceKeys.claim(alice, "NOPE", "signed_curve25519")).toBeUndefined();
    expect(area.e2ee.deviceKeys.claim(alice, "DEV1", "curve25519")).toBeUndefined();
  });
});
