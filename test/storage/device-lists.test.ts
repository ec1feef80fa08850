// The device-list stream and the remote device-list cache: one row per user and observer, changes
// since a position, prev_id chains, and whole-list resyncs versus single updates.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { createStorage, openDatabase, type Storage } from "../../src/storage";

let storage: Storage;
beforeEach(() => {
  storage = createStorage(openDatabase(":memory:"));
});
afterEach(() => storage.close());

const lists = () => storage.deviceLists;

test("each change takes the next position and names the user's previous one", () => {
  const a1 = lists().recordChange("@a:x");
  expect(a1.prevId).toBeNull();
  const b1 = lists().recordChange("@b:x");
  const a2 = lists().recordChange("@a:x");
  expect(b1.streamId).toBe(a1.streamId + 1);
  expect(a2).toEqual({ streamId: b1.streamId + 1, prevId: a1.streamId });
  expect(lists().lastChange("@a:x")).toBe(a2.streamId);
  expect(lists().position()).toBe(a2.streamId);
});

test("changed since N: each user once, observer-only changes for that observer alone", () => {
  const start = lists().position();
  lists().recordChange("@a:x");
  lists().recordChange("@a:x");
  lists().recordChange("@b:x", "@me:x");
  const mid = lists().position();
  lists().recordChange("@c:x");
  const end = lists().position();
  expect(lists().changedSince(start, end, "@me:x").sort()).toEqual(["@a:x", "@b:x", "@c:x"]);
  expect(lists().changedSince(start, end, "@other:x").sort()).toEqual(["@a:x", "@c:x"]);
  expect(lists().changedSince(mid, end, "@me:x")).toEqual(["@c:x"]);
  expect(lists().changedSince(end, end, "@me:x")).toEqual([]);
  // An observer-only change does not move the user's list position (federation's stream_id).
  expect(lists().lastChange("@b:x")).toBeNull();
});

test("a remote list: resync replaces it, updates change one device, signing keys and staleness", () => {
  const devices = [
    { device_id: "R1", display_name: "phone", key_json: '{"k":1}' },
    { device_id: "R2", display_name: null, key_json: null },
  ];
  lists().replaceRemoteList("@r:y", { streamId: 7, devices, masterKey: '{"m":1}', selfSigningKey: null }, 1_000);
  expect(lists().remoteList("@r:y")).toMatchObject({ stream_id: 7, master_key: '{"m":1}', self_signing_key: null, stale: 0 });
  expect(lists().remoteDevices("@r:y")).toEqual(devices);

  lists().applyRemoteUpdate("@r:y", 8, "R1", { display_name: "new phone", key_json: '{"k":2}' });
  lists().applyRemoteUpdate("@r:y", 9, "R2", null);
  lists().applyRemoteUpdate("@r:y", 10, "R3", { display_name: null, key_json: '{"k":3}' });
  expect(lists().remoteList("@r:y")?.stream_id).toBe(10);
  expect(lists().remoteDevices("@r:y").map((d) => [d.device_id, d.key_json])).toEqual([["R1", '{"k":2}'], ["R3", '{"k":3}']]);

  lists().setRemoteSigningKeys("@r:y", null, '{"s":1}');
  expect(lists().remoteList("@r:y")).toMatchObject({ master_key: '{"m":1}', self_signing_key: '{"s":1}' });
  lists().markRemoteStale("@r:y");
  expect(lists().remoteList("@r:y")?.stale).toBe(1);
  lists().replaceRemoteList("@r:y", { streamId: 12, devices: [], masterKey: null, selfSigningKey: null }, 2_000);
  expect(lists().remoteList("@r:y")).toMatchObject({ stream_id: 12, stale: 0, master_key: null });
  expect(lists().remoteDevices("@r:y")).toEqual([]);

  lists().forgetRemote("@r:y");
  expect(lists().remoteList("@r:y")).toBeNull();
});
