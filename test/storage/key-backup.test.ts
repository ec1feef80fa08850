// Key backup storage: versions count up per user and are never reused, the newest live one is
// current, keys are read and deleted at three levels, and count and etag follow every write.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { createStorage, openDatabase, type Storage } from "../../src/storage";
import type { BackupKeyRow } from "../../src/storage/key-backup";

let storage: Storage;
beforeEach(() => {
  storage = createStorage(openDatabase(":memory:"));
});
afterEach(() => storage.close());

const backup = () => storage.keyBackup;
const key = (room_id: string, session_id: string, first_message_index = 0): BackupKeyRow => ({
  room_id,
  session_id,
  first_message_index,
  forwarded_count: 0,
  is_verified: 0,
  session_data: "{}",
});

test("versions count up per user, are never reused, and the newest live one is current", () => {
  expect(backup().currentVersion("@a:x")).toBeNull();
  expect(backup().createVersion("@a:x", "alg", '{"v":1}')).toBe(1);
  expect(backup().createVersion("@a:x", "alg", '{"v":2}')).toBe(2);
  expect(backup().createVersion("@b:x", "alg", "{}")).toBe(1);
  expect(backup().currentVersion("@a:x")).toMatchObject({ version: 2, auth_data: '{"v":2}', etag: 0, key_count: 0 });
  expect(backup().deleteVersion("@a:x", 2)).toBe(true);
  expect(backup().deleteVersion("@a:x", 2)).toBe(false);
  expect(backup().getVersion("@a:x", 2)).toBeNull();
  expect(backup().currentVersion("@a:x")?.version).toBe(1);
  expect(backup().createVersion("@a:x", "alg", "{}")).toBe(3);
  expect(backup().updateAuthData("@a:x", 1, '{"new":1}')).toBe(true);
  expect(backup().getVersion("@a:x", 1)?.auth_data).toBe('{"new":1}');
  expect(backup().updateAuthData("@a:x", 2, "{}")).toBe(false);
});

test("keys at three levels, with count and etag following writes and deletes", () => {
  const v = backup().createVersion("@a:x", "alg", "{}");
  backup().putKeys("@a:x", v, [key("!r1:x", "s1"), key("!r1:x", "s2"), key("!r2:x", "s1")], 3);
  expect(backup().getVersion("@a:x", v)).toMatchObject({ key_count: 3, etag: 1 });
  expect(backup().keys("@a:x", v)).toHaveLength(3);
  expect(backup().keys("@a:x", v, { roomId: "!r1:x" }).map((k) => k.session_id).sort()).toEqual(["s1", "s2"]);
  expect(backup().keys("@a:x", v, { roomId: "!r2:x", sessionId: "s1" })).toHaveLength(1);
  expect(backup().keys("@a:x", v, { roomId: "!r2:x", sessionId: "nope" })).toEqual([]);

  // A replacement (no new session) moves the etag, not the count.
  backup().putKeys("@a:x", v, [key("!r1:x", "s1", 5)], 0);
  expect(backup().getKey("@a:x", v, "!r1:x", "s1")?.first_message_index).toBe(5);
  expect(backup().getVersion("@a:x", v)).toMatchObject({ key_count: 3, etag: 2 });

  expect(backup().deleteKeys("@a:x", v, { roomId: "!r1:x", sessionId: "s2" })).toBe(1);
  expect(backup().getVersion("@a:x", v)).toMatchObject({ key_count: 2, etag: 3 });
  expect(backup().deleteKeys("@a:x", v, { roomId: "!nothing:x" })).toBe(0);
  expect(backup().getVersion("@a:x", v)?.etag).toBe(3);
  expect(backup().deleteKeys("@a:x", v, { roomId: "!r1:x" })).toBe(1);
  expect(backup().deleteKeys("@a:x", v)).toBe(1);
  expect(backup().getVersion("@a:x", v)).toMatchObject({ key_count: 0, etag: 5 });
});

test("deleting a version deletes its keys; other versions keep theirs", () => {
  const v1 = backup().createVersion("@a:x", "alg", "{}");
  backup().putKeys("@a:x", v1, [key("!r:x", "s")], 1);
  const v2 = backup().createVersion("@a:x", "alg", "{}");
  backup().putKeys("@a:x", v2, [key("!r:x", "s")], 1);
  backup().deleteVersion("@a:x", v2);
  expect(backup().keys("@a:x", v2)).toEqual([]);
  expect(backup().keys("@a:x", v1)).toHaveLength(1);
});
