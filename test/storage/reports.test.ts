// The reports repository the admin API reads: ids in order, pages newest first or oldest first
// with the total, filters by kind, reporter, room and reported user, and deletion.
import { beforeEach, expect, test } from "bun:test";
import { createStorage, openDatabase, type Storage } from "../../src/storage";
import type { NewReport } from "../../src/storage/reports";

let storage: Storage;
beforeEach(() => {
  storage = createStorage(openDatabase(":memory:"));
});

const report = (r: Partial<NewReport>): NewReport => ({
  kind: "room", reporter: "@a:x", room_id: "!r:x", event_id: null, target_user_id: null, reason: null, score: null, received_ts: 1, ...r,
});

test("a stored report reads back whole by its id", () => {
  const id = storage.reports.insert(report({ kind: "event", event_id: "$e", target_user_id: "@spam:y", reason: "spam", score: -100, received_ts: 42 }));
  expect(storage.reports.get(id)).toEqual({
    id, kind: "event", reporter: "@a:x", room_id: "!r:x", event_id: "$e", target_user_id: "@spam:y", reason: "spam", score: -100, received_ts: 42,
  });
  expect(storage.reports.get(id + 1)).toBeNull();
});

test("pages come newest first by default, oldest first with dir f, with the total of all matches", () => {
  const ids = [1, 2, 3, 4, 5].map((n) => storage.reports.insert(report({ received_ts: n })));
  const newest = storage.reports.list({ from: 0, limit: 2 });
  expect(newest.total).toBe(5);
  expect(newest.reports.map((r) => r.id)).toEqual([ids[4]!, ids[3]!]);
  expect(storage.reports.list({ from: 2, limit: 2 }).reports.map((r) => r.id)).toEqual([ids[2]!, ids[1]!]);
  expect(storage.reports.list({ from: 4, limit: 2, dir: "f" }).reports.map((r) => r.id)).toEqual([ids[4]!]);
});

test("filters narrow by kind, reporter, room and reported user, and count only the matches", () => {
  storage.reports.insert(report({ kind: "user", room_id: null, target_user_id: "@u:y" }));
  storage.reports.insert(report({ kind: "room", reporter: "@b:x", room_id: "!other:x" }));
  storage.reports.insert(report({ kind: "event", event_id: "$e", target_user_id: "@u:y" }));
  expect(storage.reports.list({ kind: "room", from: 0, limit: 10 }).total).toBe(1);
  expect(storage.reports.list({ reporter: "@b:x", from: 0, limit: 10 }).reports[0]!.room_id).toBe("!other:x");
  expect(storage.reports.list({ roomId: "!r:x", from: 0, limit: 10 }).reports.map((r) => r.kind)).toEqual(["event"]);
  expect(storage.reports.list({ targetUserId: "@u:y", from: 0, limit: 10 }).reports.map((r) => r.kind)).toEqual(["event", "user"]);
  expect(storage.reports.list({ kind: "event", reporter: "@b:x", from: 0, limit: 10 })).toEqual({ reports: [], total: 0 });
});

test("delete removes exactly one report and says whether it existed", () => {
  const a = storage.reports.insert(report({}));
  const b = storage.reports.insert(report({}));
  expect(storage.reports.delete(a)).toBe(true);
  expect(storage.reports.delete(a)).toBe(false);
  expect(storage.reports.get(a)).toBeNull();
  expect(storage.reports.get(b)).not.toBeNull();
});
