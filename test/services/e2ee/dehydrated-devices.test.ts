// Dehydrated devices (MSC3814): uploaded with their keys in one request, all or nothing; a new one
// replaces the old with its keys and inbox; never takes over a real device's id.
import { beforeEach, expect, test } from "bun:test";
import { MatrixError } from "../../../src/services/matrix-error";
import { e2eeArea, type E2eeArea } from "../../helpers/e2ee-area";
import { testDevice } from "../../helpers/e2ee-keys";

let area: E2eeArea;
let alice: string;
beforeEach(async () => {
  area = await e2eeArea();
  alice = await area.addUser("alice");
});

const deviceData = { algorithm: "m.dehydration.v2", device_pickle: "p", nonce: "n" };
function body(deviceId: string) {
  const d = testDevice(alice, deviceId);
  return { device_id: deviceId, device_data: deviceData, initial_device_display_name: "Backup device", device_keys: d.deviceKeys({ dehydrated: true }), one_time_keys: d.oneTimeKeys(3), fallback_keys: d.fallbackKey() };
}
const dehydrated = () => area.e2ee.dehydrated;

test("put, get, replace and delete", () => {
  expect(() => dehydrated().get(alice)).toThrow(MatrixError);
  expect(dehydrated().put(alice, body("DH1"))).toEqual({ device_id: "DH1" });
  expect(dehydrated().get(alice)).toEqual({ device_id: "DH1", device_data: deviceData });
  expect(area.storage.accounts.getDevice(alice, "DH1")?.display_name).toBe("Backup device");
  expect(area.e2ee.deviceKeys.counts(alice, "DH1")).toEqual({ signed_curve25519: 3 });
  area.e2ee.toDevice.onDirectToDevice("b.test", { sender: "@x:b.test", type: "m.room_key", message_id: "m", messages: { [alice]: { DH1: {} } } });

  dehydrated().put(alice, body("DH2"));
  expect(area.storage.accounts.getDevice(alice, "DH1")).toBeNull();
  expect(area.storage.e2eeKeys.getDeviceKeys(alice, "DH1")).toBeNull();
  expect(area.storage.toDevice.pending(alice, "DH1", 0, area.e2ee.toDevice.position(), 10)).toEqual([]);
  expect(dehydrated().delete(alice)).toEqual({ device_id: "DH2" });
  expect(area.storage.accounts.getDevice(alice, "DH2")).toBeNull();
  expect(() => dehydrated().delete(alice)).toThrow(MatrixError);
});

test("bad keys store nothing, the previous dehydrated device included", () => {
  dehydrated().put(alice, body("DH1"));
  const bad = { ...body("DH2"), device_keys: testDevice(alice, "OTHER").deviceKeys() };
  expect(() => dehydrated().put(alice, bad)).toThrow("device_keys.device_id");
  expect(dehydrated().get(alice).device_id).toBe("DH1");
  expect(area.storage.accounts.getDevice(alice, "DH2")).toBeNull();
  expect(() => dehydrated().put(alice, { ...body("DH3"), device_data: "x" })).toThrow("device_data");
  expect(() => dehydrated().put(alice, { ...body("DH3"), device_keys: undefined })).toThrow("device_keys");
});

test("a real device's id cannot be taken; the device's keys are announced", () => {
  expect(() => dehydrated().put(alice, body("DEV1"))).toThrow("device_id");
  const before = area.e2ee.changes.position();
  dehydrated().put(alice, body("DH1"));
  expect(area.e2ee.changes.position()).toBeGreaterThan(before);
});
