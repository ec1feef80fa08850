// The delayed events scheduler on the fake clock: an event goes out exactly when its delay runs
// out, a restart moves that moment, several due at once go out in order of their send time, and a
// send that fails at its time finalises the event with the error (it is not retried).
import { expect, test } from "bun:test";
import type { Requester } from "../../../src/services/accounts/access-tokens";
import { maxDelayExceeded } from "../../../src/services/delayed-events/delayed-events";
import { testServices } from "../../helpers/services";

async function setUp(env: Record<string, string> = {}) {
  const t = await testServices(env);
  const alice: Requester = { userId: "@alice:localhost", deviceId: "DEV", isGuest: false };
  t.storage.accounts.insertUser({ userId: alice.userId, passwordHash: null, displayname: null, isGuest: false, createdTs: 0 });
  const { room_id: roomId } = await t.services.rooms.creation.createRoom(alice, {});
  const delayed = t.services.delayedEvents.delayed;
  delayed.start();
  const schedule = (body: string, delayMs: number) =>
    delayed.schedule(alice, { roomId, type: "m.room.message", content: { msgtype: "m.text", body }, delayMs, tooLong: maxDelayExceeded }).delay_id;
  const bodies = () =>
    t.storage.events.streamRangeAsc(roomId, 0, Number.MAX_SAFE_INTEGER, 100)
      .filter((r) => r.type === "m.room.message")
      .map((r) => (JSON.parse(r.json) as { content: { body: string } }).content.body);
  // Sends go through the room's queue: wait until nothing due is still scheduled.
  const settle = async () => {
    const dueNow = () => delayed.list(alice.userId).scheduled.some((d) => (d.scheduled_at as number) + (d.delay_ms as number) <= t.clock.now());
    for (let i = 0; i < 500 && dueNow(); i++) await Bun.sleep(1);
    expect(dueNow()).toBe(false);
  };
  return { ...t, alice, roomId, delayed, schedule, bodies, settle };
}

test("an event goes out when its delay runs out, not a millisecond before", async () => {
  const t = await setUp();
  const id = t.schedule("bye", 5000);
  t.advance(4999);
  await t.settle();
  expect(t.bodies()).toEqual([]);
  t.advance(1);
  await t.settle();
  expect(t.bodies()).toEqual(["bye"]);
  expect(t.delayed.get(t.alice, id)).toMatchObject({ finalised_ts: t.clock.now() });
  expect(t.clock.pending()).toBe(0);
});

test("a restart starts the delay again from now", async () => {
  const t = await setUp();
  const id = t.schedule("heartbeat", 5000);
  t.advance(4000);
  await t.delayed.act(t.alice, id, "restart");
  t.advance(4000);
  await t.settle();
  expect(t.bodies()).toEqual([]);
  t.advance(1000);
  await t.settle();
  expect(t.bodies()).toEqual(["heartbeat"]);
});

test("events due together go out in order of their send time; a cancelled one never", async () => {
  const t = await setUp();
  t.schedule("third", 3000);
  t.schedule("first", 1000);
  const dropped = t.schedule("never", 1500);
  t.schedule("second", 2000);
  await t.delayed.act(t.alice, dropped, "cancel");
  t.advance(10_000);
  await t.settle();
  expect(t.bodies()).toEqual(["first", "second", "third"]);
});

test("a send refused at its time finalises the event with the error", async () => {
  const t = await setUp();
  const id = t.schedule("after leaving", 1000);
  await t.services.membership.leave(t.alice, t.roomId);
  t.advance(1000);
  await t.settle();
  expect(t.bodies()).toEqual([]);
  const done = t.delayed.get(t.alice, id);
  expect(done.error).toMatchObject({ errcode: "M_FORBIDDEN" });
  expect(done.event_id).toBeUndefined();
});

test("a delay longer than a timer can wait is waited for in steps, and sent on time", async () => {
  const thirtyDays = 30 * 86_400_000;
  const t = await setUp({ CONDUIT_MAX_DELAYED_EVENT_DELAY_MS: String(thirtyDays) });
  // Real timers fire at once when asked to wait past 2^31 - 1 ms: no single wait may be that long.
  const waits: number[] = [];
  const schedule = t.clock.schedule.bind(t.clock);
  t.clock.schedule = (ms, fn) => (waits.push(ms), schedule(ms, fn));
  t.schedule("much later", thirtyDays);
  t.advance(thirtyDays - 1);
  await t.settle();
  expect(t.bodies()).toEqual([]);
  expect(t.clock.pending()).toBe(1);
  t.advance(1);
  await t.settle();
  expect(t.bodies()).toEqual(["much later"]);
  expect(Math.max(...waits)).toBeLessThanOrEqual(2 ** 31 - 1);
});
