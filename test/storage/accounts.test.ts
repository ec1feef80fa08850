// The accounts repository on a real (in-memory) SQLite database: unique user ids, devices keeping
// their names, tokens going with their device, and what deactivation wipes.
import { beforeEach, expect, test } from "bun:test";
import { createStorage, openDatabase, type Storage } from "../../src/storage";

let storage: Storage;
beforeEach(() => {
  storage = createStorage(openDatabase(":memory:"));
});

const user = (userId: string) => ({ userId, passwordHash: "hash", displayname: "name", isGuest: false, createdTs: 1 });

test("inserting a taken user id returns false and changes nothing", () => {
  expect(storage.accounts.insertUser(user("@a:x"))).toBe(true);
  expect(storage.accounts.insertUser({ ...user("@a:x"), passwordHash: "other" })).toBe(false);
  expect(storage.accounts.getUser("@a:x")?.password_hash).toBe("hash");
});

test("ensureDevice creates once and keeps the first display name", () => {
  storage.accounts.insertUser(user("@a:x"));
  storage.accounts.ensureDevice("@a:x", "D", "first", 1);
  storage.accounts.ensureDevice("@a:x", "D", "second", 2);
  expect(storage.accounts.getDevices("@a:x")).toEqual([{ device_id: "D", display_name: "first", last_seen_ts: null, last_seen_ip: null }]);
});

test("deleting a device deletes its tokens; other devices' tokens stay", () => {
  storage.accounts.insertUser(user("@a:x"));
  for (const d of ["D1", "D2"]) {
    storage.accounts.ensureDevice("@a:x", d, null, 1);
    storage.accounts.insertToken(`t-${d}`, "@a:x", d, 1);
  }
  storage.accounts.deleteDevice("@a:x", "D1");
  expect(storage.accounts.getTokenOwner("t-D1")).toBeNull();
  expect(storage.accounts.getTokenOwner("t-D2")).toMatchObject({ user_id: "@a:x", device_id: "D2" });
  storage.accounts.deleteDevicesExcept("@a:x", "D2");
  expect(storage.accounts.getTokenOwner("t-D2")).not.toBeNull();
  storage.accounts.deleteAllDevices("@a:x");
  expect(storage.accounts.getTokenOwner("t-D2")).toBeNull();
});

test("deactivation wipes the password and the whole profile, and keeps the user id taken", () => {
  storage.accounts.insertUser(user("@a:x"));
  storage.accounts.setAvatarUrl("@a:x", "mxc://x/y");
  storage.accounts.setProfileField("@a:x", "m.tz", '"UTC"');
  storage.accounts.deactivateUser("@a:x");
  expect(storage.accounts.getUser("@a:x")).toMatchObject({ deactivated: 1, password_hash: null, displayname: null, avatar_url: null });
  expect(storage.accounts.getProfileFields("@a:x")).toEqual([]);
  expect(storage.accounts.insertUser(user("@a:x"))).toBe(false);
});
