// Send-to-device inboxes: messages come out per device in arrival order within (after, upTo],
// stay until acknowledged, go with their device, and inbound EDU message ids are remembered once.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { createStorage, openDatabase, type Storage } from "../../src/storage";

let storage: Storage;
beforeEach(() => {
  storage = createStorage(openDatabase(":memory:"));
  storage.accounts.insertUser({ userId: "@a:x", passwordHash: null, displayname: null, isGuest: false, createdTs: 1 });
  for (const d of ["D1", "D2"]) storage.accounts.ensureDevice("@a:x", d, null, 1);
});
afterEach(() => storage.close());

const msg = (deviceId: string, n: number) => ({ userId: "@a:x", deviceId, sender: "@b:y", type: "m.test", content: JSON.stringify({ n }) });
const numbers = (rows: { content: string }[]) => rows.map((r) => (JSON.parse(r.content) as { n: number }).n);

test("messages are numbered in order, read per device and kept until acknowledged", () => {
  const start = storage.toDevice.position();
  const last = storage.toDevice.enqueue([msg("D1", 1), msg("D2", 2), msg("D1", 3)]);
  expect(last).toBe(start + 3);
  expect(storage.toDevice.position()).toBe(last!);
  const d1 = storage.toDevice.pending("@a:x", "D1", 0, last!, 100);
  expect(numbers(d1)).toEqual([1, 3]);
  // Reading again (a sync that was never acknowledged) gives the same messages.
  expect(numbers(storage.toDevice.pending("@a:x", "D1", 0, last!, 100))).toEqual([1, 3]);
  expect(numbers(storage.toDevice.pending("@a:x", "D1", 0, last!, 1))).toEqual([1]);
  expect(numbers(storage.toDevice.pending("@a:x", "D1", d1[0]!.stream_id, last!, 100))).toEqual([3]);
  expect(storage.toDevice.acknowledge("@a:x", "D1", d1[0]!.stream_id)).toBe(1);
  expect(numbers(storage.toDevice.pending("@a:x", "D1", 0, last!, 100))).toEqual([3]);
  expect(numbers(storage.toDevice.pending("@a:x", "D2", 0, last!, 100))).toEqual([2]);
  expect(storage.toDevice.enqueue([])).toBeUndefined();
});

test("messages past `upTo` wait for a later sync", () => {
  const first = storage.toDevice.enqueue([msg("D1", 1)])!;
  storage.toDevice.enqueue([msg("D1", 2)]);
  expect(numbers(storage.toDevice.pending("@a:x", "D1", 0, first, 100))).toEqual([1]);
});

test("a deleted device's inbox goes with it; a message to a device that does not exist is refused", () => {
  storage.toDevice.enqueue([msg("D2", 1)]);
  storage.accounts.deleteDevice("@a:x", "D2");
  storage.accounts.ensureDevice("@a:x", "D2", null, 2);
  expect(storage.toDevice.pending("@a:x", "D2", 0, storage.toDevice.position(), 100)).toEqual([]);
  const before = storage.toDevice.position();
  expect(() => storage.toDevice.enqueue([msg("D1", 1), msg("NOPE", 2)])).toThrow();
  // Nothing of the refused batch was stored, its positions included.
  expect(storage.toDevice.position()).toBe(before);
  expect(storage.toDevice.pending("@a:x", "D1", 0, before + 10, 100)).toEqual([]);
});

test("an inbound message id counts once per origin, until forgotten by age", () => {
  expect(storage.toDevice.rememberInbound("y", "m1", 1_000)).toBe(true);
  expect(storage.toDevice.rememberInbound("y", "m1", 2_000)).toBe(false);
  expect(storage.toDevice.rememberInbound("z", "m1", 2_000)).toBe(true);
  storage.toDevice.forgetInboundBefore(1_500);
  expect(storage.toDevice.rememberInbound("y", "m1", 3_000)).toBe(true);
  expect(storage.toDevice.rememberInbound("z", "m1", 3_000)).toBe(false);
});

test("the oldest waiting message of a device, null for an empty inbox", () => {
  expect(storage.toDevice.oldest("@a:x", "D1")).toBeNull();
  const last = storage.toDevice.enqueue([msg("D1", 1), msg("D1", 2)])!;
  expect(storage.toDevice.oldest("@a:x", "D1")).toBe(last - 1);
  storage.toDevice.acknowledge("@a:x", "D1", last - 1);
  expect(storage.toDevice.oldest("@a:x", "D1")).toBe(last);
});
