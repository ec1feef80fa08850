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

test("each change takes the next position; device updates chain per user", () => {
  const a1 = lists().recordChange("@a:x");
  const b1 = lists().recordChange("@b:x");
  const a2 = lists().recordChange("@a:x");
  expect([b1, a2]).toEqual([a1 + 1, a1 + 2]);
  expect(lists().position()).toBe(a2);
  expect(lists().lastDeviceUpdate("@a:x")).toBeNull();
  expect(lists().chainDeviceUpdate("@a:x", a1)).toBeNull();
  expect(lists().chainDeviceUpdate("@b:x", b1)).toBeNull();
  // a2 was a change sent some other way (a signing key): it is not part of the chain.
  const a3 = lists().recordChange("@a:x");
  expect(lists().chainDeviceUpdate("@a:x", a3)).toBe(a1);
  expect(lists().lastDeviceUpdate("@a:x")).toBe(a3);
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

test("memberships changed in a range, with their current value", () => {
  storage.memberships.set("!r:x", "@a:x", "join", "$1", 10, "@a:x");
  storage.memberships.set("!r:x", "@b:x", "join", "$2", 20, "@b:x");
  storage.memberships.set("!r:x", "@b:x", "leave", "$3", 30, "@b:x");
  storage.memberships.set("!other:x", "@c:x", "join", "$4", 25, "@c:x");
  expect(storage.memberships.changedSince("!r:x", 10, 30)).toEqual([{ user_id: "@b:x", membership: "leave" }]);
  expect(storage.memberships.changedSince("!r:x", 0, 29)).toEqual([{ user_id: "@a:x", membership: "join" }]);
});
