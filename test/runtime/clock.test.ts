import { expect, test } from "bun:test";
import { createFakeClock, systemClock } from "../../src/runtime/clock";

test("the fake clock runs due timers in order of due time as it advances, and not before", () => {
  const clock = createFakeClock(1_000);
  const ran: string[] = [];
  clock.schedule(30, () => ran.push(`b@${clock.now()}`));
  clock.schedule(10, () => {
    ran.push(`a@${clock.now()}`);
    // Scheduled while advancing, due within the same advance: runs in it.
    clock.schedule(5, () => ran.push(`c@${clock.now()}`));
  });
  const cancel = clock.schedule(20, () => ran.push("cancelled"));
  cancel();
  clock.advance(9);
  expect(ran).toEqual([]);
  clock.advance(100);
  expect(ran).toEqual(["a@1010", "c@1015", "b@1030"]);
  expect(clock.now()).toBe(1_109);
  expect(clock.pending()).toBe(0);
});

test("the system clock's timers fire and can be cancelled", async () => {
  const fired = await new Promise<boolean>((resolve) => {
    const cancel = systemClock.schedule(1, () => resolve(false));
    cancel();
    systemClock.schedule(1, () => resolve(true));
  });
  expect(fired).toBe(true);
});
