// The room queue: per-room order, group commit of concurrent writes, refusals that leave their
// batch intact, and failures that roll back and retry the batch task by task.
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { createRoomQueue } from "../../../src/services/rooms/queue";

class Refusal extends Error {}

function setup() {
  const db = new Database(":memory:");
  db.run("CREATE TABLE log (room TEXT, n INTEGER)");
  let commits = 0;
  let rollbacks = 0;
  const queue = createRoomQueue({
    transaction: (fn) => {
      const result = db.transaction(fn)();
      if (!db.inTransaction) commits++;
      return result;
    },
    onRollback: () => rollbacks++,
    isRefusal: (e) => e instanceof Refusal,
  });
  const rows = (room: string) => db.query<{ n: number }, [string]>("SELECT n FROM log WHERE room = ? ORDER BY rowid").all(room).map((r) => r.n);
  const insert = (room: string, n: number) => db.query("INSERT INTO log VALUES (?, ?)").run(room, n);
  return { db, queue, rows, insert, counts: () => ({ commits, rollbacks }) };
}

test("tasks queued together commit in one transaction, in order per room", async () => {
  const { queue, rows, insert, counts } = setup();
  const results = await Promise.all(
    Array.from({ length: 40 }, (_, i) => queue.run(i % 2 ? "!b" : "!a", () => (insert(i % 2 ? "!b" : "!a", i), i))),
  );
  expect(results).toEqual(Array.from({ length: 40 }, (_, i) => i));
  expect(rows("!a")).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  expect(rows("!b")).toEqual(Array.from({ length: 20 }, (_, i) => i * 2 + 1));
  expect(counts().commits).toBe(1);
});

test("a refusal fails only its own task; its neighbours commit", async () => {
  const { queue, rows, insert, counts } = setup();
  const outcomes = await Promise.allSettled([
    queue.run("!a", () => insert("!a", 1)),
    queue.run("!a", () => {
      throw new Refusal("no");
    }),
    queue.run("!a", () => insert("!a", 3)),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect(rows("!a")).toEqual([1, 3]);
  expect(counts().rollbacks).toBe(0);
});

test("an unexpected failure rolls the batch back, then the others are retried alone and succeed", async () => {
  const { queue, rows, insert, counts } = setup();
  const outcomes = await Promise.allSettled([
    queue.run("!a", () => insert("!a", 1)),
    queue.run("!a", () => {
      insert("!a", 2);
      throw new Error("disk on fire");
    }),
    queue.run("!b", () => insert("!b", 3)),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect(rows("!a")).toEqual([1]);
  expect(rows("!b")).toEqual([3]);
  expect(counts().rollbacks).toBeGreaterThan(0);
});

test("an exclusive async task holds its room until it settles, while other rooms go on", async () => {
  const { queue, rows, insert } = setup();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const order: string[] = [];
  const slow = queue.runExclusive("!a", async () => {
    await gate;
    order.push("a-async");
  });
  const afterSlow = queue.run("!a", () => {
    insert("!a", 2);
    order.push("a-sync");
  });
  await queue.run("!b", () => {
    insert("!b", 1);
    order.push("b-sync");
  });
  expect(order).toEqual(["b-sync"]);
  release();
  await Promise.all([slow, afterSlow]);
  expect(order).toEqual(["b-sync", "a-async", "a-sync"]);
  expect(rows("!a")).toEqual([2]);
});
