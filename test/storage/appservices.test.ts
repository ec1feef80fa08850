// Appservice storage: registrations added at run time, and the durable per-appservice queue. A
// transaction takes the oldest items in order (a full kind ends it), is resent unchanged under the
// same id until it succeeds, even after the database is reopened, and its success removes exactly
// its items. Stale typing and presence are left out of new transactions; unregistering clears all.
import { afterAll, afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage, openDatabase, type Storage } from "../../src/storage";
import { MAX_PER_TRANSACTION } from "../../src/storage/appservice-queue";

const dir = mkdtempSync(join(tmpdir(), "conduit-as-storage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let storage: Storage;
beforeEach(() => {
  storage = createStorage(openDatabase(":memory:"));
});
afterEach(() => storage.close());

const queue = () => storage.appserviceQueue;
const event = (n: number) => JSON.stringify({ type: "m.room.message", content: { n } });
const ephemeral = (type: string, n: number) => JSON.stringify({ type, content: { n } });
const ns = (items: { payload: string }[]) => items.map((i) => JSON.parse(i.payload).content.n as number);

test("registrations: add once per id, list in order, remove", () => {
  expect(storage.appservices.add("telegram", "id: telegram\n", 1_000)).toBe(true);
  expect(storage.appservices.add("telegram", "id: other\n", 2_000)).toBe(false);
  expect(storage.appservices.add("signal", "id: signal\n", 3_000)).toBe(true);
  expect(storage.appservices.all()).toEqual([
    { id: "telegram", yaml: "id: telegram\n", created_ts: 1_000 },
    { id: "signal", yaml: "id: signal\n", created_ts: 3_000 },
  ]);
  expect(storage.appservices.get("telegram")?.yaml).toBe("id: telegram\n");
  expect(storage.appservices.remove("telegram")).toBe(true);
  expect(storage.appservices.remove("telegram")).toBe(false);
  expect(storage.appservices.get("telegram")).toBeNull();
});

test("a transaction takes the oldest items in order, and a full kind ends it", () => {
  for (let i = 0; i < 5; i++) queue().enqueue("as", "event", event(i), 1_000);
  queue().enqueue("as", "ephemeral", ephemeral("m.receipt", 5), 1_000);
  queue().enqueue("as", "event", event(6), 1_000);
  const txn = queue().nextTransaction("as", 0)!;
  expect(txn.items.map((i) => i.kind)).toEqual(["event", "event", "event", "event", "event", "ephemeral", "event"]);
  expect(ns(txn.items)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect(txn.txnId).toBe(String(txn.items.at(-1)!.id));

  queue().finishTransaction("as", 2_000);
  const cap = MAX_PER_TRANSACTION.event;
  for (let i = 0; i < cap + 10; i++) queue().enqueue("as", "event", event(i), 1_000);
  queue().enqueue("as", "ephemeral", ephemeral("m.receipt", -1), 1_000);
  const full = queue().nextTransaction("as", 0)!;
  // The receipt queued after the 110 events waits: it may not overtake the ten left over.
  expect(full.items).toHaveLength(cap);
  expect(full.items.every((i) => i.kind === "event")).toBe(true);
});

test("a fixed transaction is resent unchanged, and its success removes exactly its items", () => {
  queue().enqueue("as", "event", event(1), 1_000);
  const first = queue().nextTransaction("as", 0)!;
  queue().enqueue("as", "event", event(2), 1_000);
  const again = queue().nextTransaction("as", 0)!;
  expect(again).toEqual(first);
  queue().finishTransaction("as", 2_000);
  expect(queue().state("as")).toMatchObject({ txn_last: null, failures: 0, last_success_ts: 2_000 });
  const next = queue().nextTransaction("as", 0)!;
  expect(ns(next.items)).toEqual([2]);
  expect(Number(next.txnId)).toBeGreaterThan(Number(first.txnId));
  expect(queue().depth("as")).toBe(1);
});

test("the transaction in flight survives a restart: same id, same items", () => {
  const file = join(dir, "restart.db");
  let s = createStorage(openDatabase(file));
  s.appserviceQueue.enqueue("as", "event", event(1), 1_000);
  s.appserviceQueue.enqueue("as", "to_device", ephemeral("m.room_key_request", 2), 1_000);
  const before = s.appserviceQueue.nextTransaction("as", 0)!;
  s.appserviceQueue.recordFailure("as", 1, 5_000);
  s.appserviceQueue.enqueue("as", "event", event(3), 1_000);
  s.close();

  s = createStorage(openDatabase(file));
  expect(s.appserviceQueue.waiting()).toEqual([{ appservice_id: "as", retry_at_ts: 5_000 }]);
  expect(s.appserviceQueue.nextTransaction("as", 0)).toEqual(before);
  s.appserviceQueue.finishTransaction("as", 6_000);
  expect(ns(s.appserviceQueue.nextTransaction("as", 0)!.items)).toEqual([3]);
  s.close();
});

test("transaction ids are never reused, even once the queue is empty or cleared", () => {
  queue().enqueue("as", "event", event(1), 1_000);
  const a = queue().nextTransaction("as", 0)!;
  queue().finishTransaction("as", 2_000);
  expect(queue().nextTransaction("as", 0)).toBeNull();
  queue().enqueue("as", "event", event(2), 1_000);
  queue().clear("as");
  queue().enqueue("as", "event", event(3), 1_000);
  const b = queue().nextTransaction("as", 0)!;
  expect(Number(b.txnId)).toBeGreaterThan(Number(a.txnId) + 1);
});

test("stale typing and presence are dropped from new transactions; receipts, fresh typing and events stay", () => {
  queue().enqueue("as", "ephemeral", ephemeral("m.typing", 1), 1_000);
  queue().enqueue("as", "ephemeral", ephemeral("m.presence", 2), 1_000);
  queue().enqueue("as", "ephemeral", ephemeral("m.receipt", 3), 1_000);
  queue().enqueue("as", "event", event(4), 1_000);
  queue().enqueue("as", "ephemeral", ephemeral("m.typing", 5), 9_000);
  expect(ns(queue().nextTransaction("as", 5_000)!.items)).toEqual([3, 4, 5]);
});

test("each appservice has its own queue; failures set the retry time; a reset retries at once", () => {
  queue().enqueue("a", "event", event(1), 1_000);
  queue().enqueue("b", "event", event(2), 1_000);
  expect(queue().waiting().map((w) => w.appservice_id).sort()).toEqual(["a", "b"]);
  expect(ns(queue().nextTransaction("b", 0)!.items)).toEqual([2]);
  queue().recordFailure("a", 3, 50_000);
  expect(queue().state("a")).toMatchObject({ failures: 3, retry_at_ts: 50_000, txn_last: null });
  queue().resetBackoff("a");
  expect(queue().state("a")).toMatchObject({ failures: 0, retry_at_ts: 0 });
});

test("clearing an appservice drops its queue and state, not the others'", () => {
  queue().enqueue("a", "event", event(1), 1_000);
  queue().enqueue("b", "event", event(2), 1_000);
  queue().nextTransaction("a", 0);
  queue().clear("a");
  expect(queue().state("a")).toBeNull();
  expect(queue().depth("a")).toBe(0);
  expect(queue().depth("b")).toBe(1);
  // A transaction the sender still had in flight finishes as a no-op.
  queue().finishTransaction("a", 2_000);
  expect(queue().state("a")).toBeNull();
});

test("unknown kinds are refused by the schema", () => {
  expect(() => queue().enqueue("a", "bogus" as "event", "{}", 1_000)).toThrow();
});
