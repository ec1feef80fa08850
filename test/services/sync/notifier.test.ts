import { expect, test } from "bun:test";
import { createNotifier } from "../../../src/services/sync/notifier";

test("a waiter is woken by an update for its user and not by others'", async () => {
  const n = createNotifier();
  let woken: boolean | undefined;
  const p = n.wait("@a:x", 5_000, () => false).then((w) => (woken = w));
  n.wakeUsers(["@b:x"]);
  await Bun.sleep(5);
  expect(woken).toBeUndefined();
  n.wakeUsers(["@a:x"]);
  await p;
  expect(woken).toBe(true);
  expect(n.waiting()).toBe(0);
});

test("news already present when registering resolves at once", async () => {
  const n = createNotifier();
  expect(await n.wait("@a:x", 5_000, () => true)).toBe(true);
  expect(n.waiting()).toBe(0);
});

test("timeout and abort resolve as not woken", async () => {
  const n = createNotifier();
  expect(await n.wait("@a:x", 10, () => false)).toBe(false);
  const ac = new AbortController();
  const p = n.wait("@a:x", 5_000, () => false, ac.signal);
  ac.abort();
  expect(await p).toBe(false);
  expect(n.waiting()).toBe(0);
});

test("close ends every wait as not woken, and later waits at once", async () => {
  const n = createNotifier();
  const pending = [n.wait("@a:x", 60_000, () => false), n.wait("@b:x", 60_000, () => false)];
  n.close();
  expect(await Promise.all(pending)).toEqual([false, false]);
  expect(n.waiting()).toBe(0);
  const started = performance.now();
  expect(await n.wait("@a:x", 60_000, () => false)).toBe(false);
  expect(performance.now() - started).toBeLessThan(50);
});
