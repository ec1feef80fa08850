// Push storage: rules take account-data stream positions, pushers follow the append rule and go
// with their device, deleting a pusher drops its queue, counters add up and reset by sending.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { createStorage, openDatabase, type Storage } from "../../src/storage";
import { SELECT_MAIN_AFTER, SELECT_THREAD_AFTER } from "../../src/storage/push-notifications";
import type { NewPusher } from "../../src/storage/pushers";

let db: Database;
let storage: Storage;
beforeEach(() => {
  db = openDatabase(":memory:");
  storage = createStorage(db);
  for (const user of ["@a:x", "@b:x", "@c:x"]) {
    storage.accounts.insertUser({ userId: user, passwordHash: null, displayname: null, isGuest: false, createdTs: 1 });
    for (const device of ["DEV", "OTHER"]) storage.accounts.ensureDevice(user, device, null, 1);
  }
});
afterEach(() => storage.close());

const pusher = (over: Partial<NewPusher> = {}): NewPusher => ({
  user_id: "@a:x",
  app_id: "org.example.app",
  pushkey: "key1",
  kind: "http",
  app_display_name: "App",
  device_display_name: "Phone",
  profile_tag: null,
  lang: "en",
  data: JSON.stringify({ url: "https://push.example/_matrix/push/v1/notify" }),
  device_id: "DEV",
  pushkey_ts: 1_000,
  ...over,
});

describe("push rules", () => {
  test("each write takes the next account-data position, shared with account data", () => {
    const before = storage.accountData.position();
    const first = storage.pushRules.put("@a:x", '{"custom":{}}');
    expect(first).toBe(before + 1);
    storage.accountData.putAccountData("@a:x", "", "m.tag", "{}");
    expect(storage.pushRules.put("@a:x", '{"v":2}')).toBe(before + 3);
    expect(storage.pushRules.get("@a:x")).toEqual({ rules: '{"v":2}', stream_id: before + 3 });
    expect(storage.pushRules.get("@b:x")).toBeNull();
  });
});

describe("pushers", () => {
  test("set creates, then updates in place; another user's same pushkey goes unless append", () => {
    const id = storage.pushers.set(pusher(), false);
    expect(storage.pushers.set(pusher({ lang: "de" }), false)).toBe(id);
    expect(storage.pushers.forUser("@a:x").map((p) => p.lang)).toEqual(["de"]);
    storage.pushers.set(pusher({ user_id: "@b:x" }), true);
    expect(storage.pushers.forUser("@a:x")).toHaveLength(1);
    storage.pushers.set(pusher({ user_id: "@c:x" }), false);
    expect(storage.pushers.forUser("@a:x")).toHaveLength(0);
    expect(storage.pushers.forUser("@b:x")).toHaveLength(0);
    expect(storage.pushers.forUser("@c:x")).toHaveLength(1);
  });

  test("a device's pushers and their queue go with the device; delete says whether something went", () => {
    storage.pushers.set(pusher(), false);
    storage.pushers.set(pusher({ pushkey: "key2", device_id: "OTHER" }), false);
    storage.pushQueue.enqueueForUser("@a:x", "{}", "{}", 1);
    storage.accounts.deleteDevice("@a:x", "DEV");
    expect(storage.pushers.forUser("@a:x").map((p) => p.pushkey)).toEqual(["key2"]);
    expect(storage.pushQueue.size()).toBe(1);
    expect(storage.pushers.delete("@a:x", "org.example.app", "key2")).toBe(true);
    expect(storage.pushers.delete("@a:x", "org.example.app", "key2")).toBe(false);
  });

  test("a push for a user is queued once per pusher the user has now", () => {
    const first = storage.pushers.set(pusher(), false);
    const second = storage.pushers.set(pusher({ pushkey: "key2" }), false);
    expect(storage.pushQueue.enqueueForUser("@a:x", '{"n":1}', "{}", 5)).toEqual([first, second]);
    expect(storage.pushQueue.enqueueForUser("@b:x", '{"n":1}', "{}", 5)).toEqual([]);
    expect(storage.pushQueue.head(second)).toMatchObject({ notification: '{"n":1}', created_ts: 5 });
  });

  test("deleting a pusher drops what it still had queued; an update resets the backoff", () => {
    const id = storage.pushers.set(pusher(), false);
    storage.pushQueue.enqueueForUser("@a:x", "{}", "{}", 1);
    storage.pushQueue.enqueueForUser("@a:x", "{}", "{}", 2);
    const other = storage.pushers.set(pusher({ user_id: "@b:x", pushkey: "key2" }), false);
    storage.pushQueue.enqueueForUser("@b:x", "{}", "{}", 3);
    storage.pushers.recordFailure(id, 3, 99_000);
    expect(storage.pushQueue.waiting()).toEqual([
      { pusher_id: id, retry_at_ts: 99_000 },
      { pusher_id: other, retry_at_ts: 0 },
    ]);
    expect(storage.pushQueue.head(id)!.created_ts).toBe(1);
    storage.pushers.set(pusher(), false);
    expect(storage.pushers.get(id)).toMatchObject({ failures: 0, retry_at_ts: 0 });
    storage.pushers.deleteById(id);
    expect(storage.pushQueue.size()).toBe(1);
    expect(storage.pushQueue.head(other)!.created_ts).toBe(3);
  });
});

describe("counters", () => {
  test("notifications add up per thread; sending resets the thread and remembers how far it read", () => {
    const n = storage.pushNotifications;
    n.addNotification("!r", "main", ["@a:x", "@b:x"], false);
    n.addNotification("!r", "main", ["@a:x"], true);
    n.addNotification("!r", "$t", ["@a:x"], true);
    n.addNotification("!other", "main", ["@a:x"], false);
    n.addNotification("!other", "main", [], true);
    expect(n.counts("!r", "@a:x")).toEqual([
      { thread_id: "$t", notifications: 1, highlights: 1, read_stream: 0 },
      { thread_id: "main", notifications: 2, highlights: 1, read_stream: 0 },
    ]);
    expect(n.unreadTotal("@a:x")).toBe(4);
    expect(n.counts("!r", "@b:x")).toEqual([{ thread_id: "main", notifications: 1, highlights: 0, read_stream: 0 }]);
    n.readBySending("!r", "main", "@a:x", 40);
    n.readBySending("!r", "main", "@a:x", 30);
    expect(n.counts("!r", "@a:x").find((c) => c.thread_id === "main")).toEqual({ thread_id: "main", notifications: 0, highlights: 0, read_stream: 40 });
    n.setCounts("!r", "@a:x", "$t", 0, 0);
    n.deleteRoomCounts("!other", "@a:x");
    expect(n.unreadTotal("@a:x")).toBe(0);
    expect(n.unreadTotal("@nobody:x")).toBe(0);
  });

  test("notifying events read back by thread after a position and by room before one", () => {
    const n = storage.pushNotifications;
    const row = (stream: number, thread: string) => ({
      stream_ordering: stream, room_id: "!r", thread_id: thread, event_id: `$${stream}`, sender: "@b:x",
      actions: '["notify"]', highlight: 0, exceptions: null, ts: stream,
    });
    for (const [s, t] of [[1, "main"], [2, "$t"], [3, "main"], [4, "main"]] as const) n.recordEvent(row(s, t));
    expect(n.threadEventsAfter("!r", "main", 1).map((r) => r.stream_ordering)).toEqual([3, 4]);
    expect(n.threadEventsAfter("!r", "$t", 0).map((r) => r.stream_ordering)).toEqual([2]);
    expect(n.roomEventsBefore("!r", 4, 2).map((r) => r.stream_ordering)).toEqual([3, 2]);
    expect(n.event(2)).toEqual(row(2, "$t"));
  });

  test("a thread is read through the index of thread events, the main timeline through the room's", () => {
    const plan = (sql: string) => db.query<{ detail: string }, []>(`EXPLAIN QUERY PLAN ${sql}`).all().map((r) => r.detail).join("; ");
    expect(plan(SELECT_THREAD_AFTER)).toContain("USING INDEX push_events_by_thread");
    expect(plan(SELECT_MAIN_AFTER)).toContain("USING INDEX push_events_by_room");
  });
});
