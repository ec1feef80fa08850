// The bounded LRU map behind the rooms area's caches: entry and weight bounds, recency on `get`
// (not on `peek`), and eviction notices.
import { expect, test } from "bun:test";
import { createLruMap } from "../../src/runtime/lru-map";

test("keeps at most maxEntries, evicting the least recently used first", () => {
  const evicted: string[] = [];
  const lru = createLruMap<string, number>({ maxEntries: 3, onEvict: (k) => evicted.push(k) });
  for (const [k, v] of [["a", 1], ["b", 2], ["c", 3]] as const) lru.set(k, v);
  expect(lru.get("a")).toBe(1); // a is now the most recent
  expect(lru.peek("b")).toBe(2); // peeking leaves b the coldest
  lru.set("d", 4);
  expect(evicted).toEqual(["b"]);
  lru.set("e", 5);
  expect(evicted).toEqual(["b", "c"]);
  expect([lru.get("a"), lru.get("b"), lru.get("c"), lru.get("d"), lru.get("e")]).toEqual([1, undefined, undefined, 4, 5]);
  expect(lru.size).toBe(3);
});

test("a weight budget evicts as many cold entries as it takes, but never the entry just set", () => {
  const lru = createLruMap<string, string>({ maxEntries: 100, maxWeight: 10, weigh: (v) => v.length });
  lru.set("a", "xxxx");
  lru.set("b", "xxxx");
  lru.set("c", "xx");
  expect(lru.size).toBe(3);
  lru.set("d", "xxxxxx"); // 16 > 10: a and b go
  expect([lru.peek("a"), lru.peek("b"), lru.peek("c"), lru.peek("d")]).toEqual([undefined, undefined, "xx", "xxxxxx"]);
  lru.set("huge", "x".repeat(50)); // heavier than the budget alone: kept, everything else goes
  expect(lru.size).toBe(1);
  lru.set("small", "x"); // the huge one is now the coldest and goes
  expect([lru.peek("huge"), lru.peek("small")]).toEqual([undefined, "x"]);
});

test("replacing a key reweighs it; delete and clear forget without eviction notices", () => {
  const evicted: string[] = [];
  const lru = createLruMap<string, string>({ maxEntries: 5, maxWeight: 6, weigh: (v) => v.length, onEvict: (k) => evicted.push(k) });
  lru.set("a", "xxx");
  lru.set("a", "x");
  lru.set("b", "xxxxx"); // 1 + 5 = 6 fits only if a's old weight was released
  expect(evicted).toEqual([]);
  expect(lru.delete("a")).toBe(true);
  expect(lru.delete("a")).toBe(false);
  lru.clear();
  lru.set("c", "xxxxxx");
  expect(evicted).toEqual([]);
  expect(lru.size).toBe(1);
});
