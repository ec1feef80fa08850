/**
 * The state resolution worker pool: the same answers as the direct call (vectors and a large
 * synthetic room), failures that reject instead of hanging, a crashed worker replaced, and an
 * event loop that keeps ticking while a large resolution runs.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { resolveStateSync } from "../../../src/core/state-res/resolve-state.ts";
import { createStateResPool } from "../../../src/workers/state-res/pool.ts";
import { buildForkedRoom } from "../../helpers/synthetic-room.ts";
import { vectorChecks } from "../../core/state-res/vectors.ts";

const pool = createStateResPool({ size: 2 });
const resolve = pool.resolveState;
afterAll(() => pool.close());

describe("the pool answers like the direct call", () => {
  for (const check of vectorChecks()) {
    test(check.name, async () => {
      const { actual, expected } = await check.run(resolve);
      expect(actual).toEqual(expected);
    });
  }

  test("a synthetic room of 10,000 state events in two forks, resolved in parallel jobs", async () => {
    const room = buildForkedRoom(10_000);
    const direct = resolveStateSync(room.roomVersion, room.forks, room.fetchEvent).sort();
    const [first, second] = await Promise.all([
      resolve(room.roomVersion, room.forks, room.fetchEvent),
      resolve(room.roomVersion, [...room.forks].reverse(), room.fetchEvent),
    ]);
    expect(first.sort()).toEqual(direct);
    expect(second.sort()).toEqual(direct);
  });
});

describe("failures reject", () => {
  const room = buildForkedRoom(200);

  test("an unknown room version", async () => {
    await expect(resolve("99", room.forks, room.fetchEvent)).rejects.toThrow("unsupported room version 99");
  });

  test("a state event the worker never received", async () => {
    await expect(resolve(room.roomVersion, [["$nowhere"], room.forks[0]], room.fetchEvent)).rejects.toThrow(
      "state resolution failed: state resolution: unknown state event $nowhere",
    );
  });

  test("fetchEvent throwing", async () => {
    const failing = () => {
      throw new Error("storage unavailable");
    };
    await expect(resolve(room.roomVersion, room.forks, failing)).rejects.toThrow("storage unavailable");
    // The pool still works afterwards.
    expect((await resolve(room.roomVersion, room.forks, room.fetchEvent)).length).toBeGreaterThan(0);
  });

  test("workers start with the first job, not with the pool (an idle server keeps no resolver threads)", async () => {
    const lazy = createStateResPool({ size: 2 });
    try {
      expect(lazy.running()).toBe(0);
      await lazy.resolveState(room.roomVersion, room.forks, room.fetchEvent);
      expect(lazy.running()).toBe(1);
    } finally {
      lazy.close();
    }
  });

  test("a worker that crashes rejects its job and is replaced", async () => {
    const crashing = createStateResPool({ size: 1, workerUrl: new URL("./crashing-state-res.worker.ts", import.meta.url).href });
    try {
      const fetch = (id: string) => (id === "$crash" ? room.fetchEvent(room.forks[0][0]!) : room.fetchEvent(id));
      await expect(crashing.resolveState(room.roomVersion, [["$crash"]], fetch)).rejects.toThrow("state resolution worker crashed");
      expect(crashing.running()).toBe(0);
      const expected = resolveStateSync(room.roomVersion, room.forks, room.fetchEvent).sort();
      expect((await crashing.resolveState(room.roomVersion, room.forks, room.fetchEvent)).sort()).toEqual(expected);
    } finally {
      crashing.close();
    }
  });

  test("a closed pool rejects new and unfinished jobs", async () => {
    const short = createStateResPool({ size: 1 });
    const big = buildForkedRoom(20_000);
    const unfinished = short.resolveState(big.roomVersion, big.forks, big.fetchEvent);
    short.close();
    await expect(unfinished).rejects.toThrow("the state resolution pool is closed");
    await expect(short.resolveState(room.roomVersion, room.forks, room.fetchEvent)).rejects.toThrow("closed");
  });
});

describe("the event loop keeps answering", () => {
  test("a 10 ms interval keeps ticking while 50,000 state events resolve in the pool", async () => {
    const room = buildForkedRoom(50_000);
    // For scale: the same resolution on this thread blocks the loop for all of its duration.
    const started = performance.now();
    const direct = resolveStateSync(room.roomVersion, room.forks, room.fetchEvent);
    const blocking = performance.now() - started;

    let last = performance.now();
    let longestGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 10);
    const inPool = performance.now();
    const resolved = await resolve(room.roomVersion, room.forks, room.fetchEvent);
    const poolTime = performance.now() - inPool;
    clearInterval(timer);

    expect(resolved.sort()).toEqual(direct.sort());
    console.log(`direct: loop blocked ${blocking.toFixed(0)} ms; pool: ${poolTime.toFixed(0)} ms, ${ticks} ticks, longest gap ${longestGap.toFixed(0)} ms`);
    // The loop went on ticking throughout, and never stalled for anything like the direct call.
    expect(ticks).toBeGreaterThan(poolTime / 10 / 4);
    expect(longestGap).toBeLessThan(blocking / 2);
  }, 60_000);
});
