// The durable outbound queue: transactions take the oldest items (at most 50 PDUs and 100 EDUs),
// a fixed transaction is resent as it was until it succeeds, success removes exactly its items,
// and stale typing and presence are left out of new transactions while receipts are kept.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { createStorage, openDatabase, type Storage } from "../../src/storage";

let storage: Storage;
beforeEach(() => {
  storage = createStorage(openDatabase(":memory:"));
});
afterEach(() => storage.close());

const queue = () => storage.federationQueue;
const edu = (type: string, n: number) => JSON.stringify({ edu_type: type, content: { n } });

test("a transaction takes at most 50 PDUs and 100 EDUs, oldest first", () => {
  for (let i = 0; i < 60; i++) queue().enqueue(["b.test"], "pdu", JSON.stringify({ n: i }), 1_000);
  for (let i = 0; i < 120; i++) queue().enqueue(["b.test"], "edu", edu("m.receipt", i), 1_000);
  const batch = queue().nextTransaction("b.test", "t1", 0)!;
  expect(batch.pdus.map((p) => JSON.parse(p.payload).n)).toEqual([...Array(50).keys()]);
  expect(batch.edus).toHaveLength(100);
});

test("a fixed transaction is resent unchanged, and its success removes exactly its items", () => {
  queue().enqueue(["b.test"], "pdu", "{}", 1_000);
  const first = queue().nextTransaction("b.test", "t1", 0)!;
  queue().enqueue(["b.test"], "pdu", "{}", 1_000);
  const again = queue().nextTransaction("b.test", "t2", 0)!;
  expect(again.txnId).toBe("t1");
  expect(again.pdus.map((p) => p.id)).toEqual(first.pdus.map((p) => p.id));
  queue().finishTransaction("b.test", 2_000);
  const next = queue().nextTransaction("b.test", "t3", 0)!;
  expect(next.txnId).toBe("t3");
  expect(next.pdus).toHaveLength(1);
  expect(next.pdus[0]!.id).toBeGreaterThan(first.pdus[0]!.id);
});

test("stale typing and presence are dropped from new transactions; receipts and fresh typing stay", () => {
  queue().enqueue(["b.test"], "edu", edu("m.typing", 1), 1_000);
  queue().enqueue(["b.test"], "edu", edu("m.presence", 2), 1_000);
  queue().enqueue(["b.test"], "edu", edu("m.receipt", 3), 1_000);
  queue().enqueue(["b.test"], "edu", edu("m.typing", 4), 9_000);
  const batch = queue().nextTransaction("b.test", "t1", 5_000)!;
  expect(batch.edus.map((e) => JSON.parse(e.payload).content.n)).toEqual([3, 4]);
});

test("each destination has its own queue; failures set the retry time; contact resets it", () => {
  queue().enqueue(["b.test", "c.test"], "pdu", "{}", 1_000);
  expect(queue().waitingDestinations().map((d) => d.destination).sort()).toEqual(["b.test", "c.test"]);
  queue().nextTransaction("b.test", "t1", 0);
  queue().recordFailure("b.test", 3, 50_000);
  expect(queue().state("b.test")).toMatchObject({ failures: 3, retry_at_ts: 50_000, txn_id: "t1" });
  queue().resetBackoff("b.test");
  expect(queue().state("b.test")).toMatchObject({ failures: 0, retry_at_ts: 0, txn_id: "t1" });
});
