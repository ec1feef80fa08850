import { expect, test } from "bun:test";
import { createFakeClock } from "../../../src/runtime/clock";
import { createNotifier } from "../../../src/services/sync/notifier";

/** The outcome of a wait so far: undefined while it is still waiting. */
function track(p: Promise<boolean>) {
  const state: { woken?: boolean } = {};
  void p.then((w) => (state.woken = w));
  return state;
}
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test("a waiter is woken by an update for its user and not by others'", async () => {
  const n = createNotifier(createFakeClock());
  const a = track(n.wait("@a:x", 5_000, () => false));
  n.wakeUsers(["@b:x"]);
  await settle();
  expect(a.woken).toBeUndefined();
  n.wakeUsers(["@a:x"]);
  await settle();
  expect(a.woken).toBe(true);
  expect(n.waiting()).toBe(0);
});

test("news already present when registering resolves at once", async () => {
  const n = createNotifier(createFakeClock());
  expect(await n.wait("@a:x", 5_000, () => true)).toBe(true);
  expect(n.waiting()).toBe(0);
});

test("the timeout runs on the clock: not woken before it, not woken at it", async () => {
  const clock = createFakeClock();
  const n = createNotifier(clock);
  const a = track(n.wait("@a:x", 5_000, () => false));
  clock.advance(4_999);
  await settle();
  expect(a.woken).toBeUndefined();
  clock.advance(1);
  await settle();
  expect(a.woken).toBe(false);
  expect(n.waiting()).toBe(0);
  expect(clock.pending()).toBe(0);
});

test("an abort resolves as not woken and cancels the timer", async () => {
  const clock = createFakeClock();
  const n = createNotifier(clock);
  const ac = new AbortController();
  const p = n.wait("@a:x", 5_000, () => false, ac.signal);
  ac.abort();
  expect(await p).toBe(false);
  expect(n.waiting()).toBe(0);
  expect(clock.pending()).toBe(0);
});

test("close ends every wait as not woken, and later waits at once", async () => {
  const n = createNotifier(createFakeClock());
  const pending = [n.wait("@a:x", 60_000, () => false), n.wait("@b:x", 60_000, () => false)];
  n.close();
  expect(await Promise.all(pending)).toEqual([false, false]);
  expect(n.waiting()).toBe(0);
  // No time passes on a fake clock: only an immediate answer can resolve this.
  expect(await n.wait("@a:x", 60_000, () => false)).toBe(false);
});
