// The delivery loop on a fake clock: a failing destination is retried after 2 s, then 4 s (the
// backoff doubles), not a moment before (or after what a 429 asks); a request from it retries at
// once; what it refused on the way stays queued and arrives in order. A transaction refused for
// good is split until the one refused item is found and dropped; a dead destination's queue is
// bounded by age and size.
import { expect, test } from "bun:test";
import type { JsonObject } from "../../../src/core";
import { RemoteError, type FederationClient, type FederationRequest } from "../../../src/net/federation-client";
import { createFakeClock } from "../../../src/runtime/clock";
import { createLogger } from "../../../src/runtime/logger";
import { createStorage, openDatabase } from "../../../src/storage";
import type { SenderEvent } from "../../../src/workers/federation-sender/protocol";
import { createSenderLoop } from "../../../src/workers/federation-sender/sender-loop";

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** A destination that is down, or up and refusing (with `refuse`) transactions it dislikes. */
function setup(opts: { refuse?: (edus: JsonObject[]) => RemoteError | undefined; maxItems?: number; maxAgeMs?: number } = {}) {
  const clock = createFakeClock();
  const storage = createStorage(openDatabase(":memory:"));
  const events: SenderEvent[] = [];
  const delivered: JsonObject[] = [];
  const txnIds: string[] = [];
  let up = false;
  const client: FederationClient = {
    async request<T>(destination: string, req: FederationRequest): Promise<T> {
      if (!up) throw new Error(`${destination} is down`);
      txnIds.push(req.path.split("/").pop()!);
      const edus = ((req.body as JsonObject).edus ?? []) as JsonObject[];
      const refusal = opts.refuse?.(edus);
      if (refusal) throw refusal;
      delivered.push(...edus);
      return {} as T;
    },
  };
  const loop = createSenderLoop({
    serverName: "a.test",
    queueLimits: { maxAgeMs: opts.maxAgeMs ?? 86_400_000, maxItems: opts.maxItems ?? 1000 },
    queue: storage.federationQueue,
    client,
    clock,
    log: createLogger("error", () => {}),
    emit: (e) => events.push(e),
  });
  const queue = (n: number) =>
    storage.federationQueue.enqueue(["b.test"], "edu", JSON.stringify({ edu_type: "org.test", content: { n } }), clock.now());
  const failures = () => events.filter((e) => e.type === "failed").map((e) => (e.type === "failed" ? e.retryInMs : 0));
  const queued = () => storage.federationQueue.nextTransaction("b.test", "peek", 0)?.edus.map((e) => (JSON.parse(e.payload) as JsonObject).content) ?? [];
  return { clock, loop, queue, queued, events, delivered, txnIds, failures, setUp: (value: boolean) => (up = value) };
}

const numbers = (edus: JsonObject[]) => edus.map((e) => (e.content as JsonObject).n);

test("retries back off 2 s, then 4 s, and not a moment before", async () => {
  const { clock, loop, queue, failures } = setup();
  queue(1);
  loop.wake(["b.test"]);
  await settle();
  expect(failures()).toEqual([2_000]);
  clock.advance(1_999);
  await settle();
  expect(failures()).toEqual([2_000]);
  clock.advance(1);
  await settle();
  expect(failures()).toEqual([2_000, 4_000]);
  clock.advance(3_999);
  await settle();
  expect(failures()).toHaveLength(2);
  clock.advance(1);
  await settle();
  expect(failures()).toEqual([2_000, 4_000, 8_000]);
  loop.stop();
});

test("a destination that contacts us is retried at once, and gets everything in order", async () => {
  const { clock, loop, queue, delivered, failures, setUp } = setup();
  queue(1);
  loop.wake(["b.test"]);
  await settle();
  expect(failures()).toEqual([2_000]);
  queue(2);
  loop.wake(["b.test"]); // new work during the backoff waits for it
  await settle();
  expect(delivered).toEqual([]);
  setUp(true);
  loop.contact("b.test"); // no time passes
  await settle();
  expect(delivered.map((e) => (e.content as JsonObject).n)).toEqual([1, 2]);
  // The retry timer was cancelled: nothing runs when its time comes.
  clock.advance(10_000);
  await settle();
  expect(delivered).toHaveLength(2);
  expect(clock.pending()).toBe(0);
  loop.stop();
});

test("a transaction refused for good (400) is split until the refused item is found; it is dropped, the rest delivered", async () => {
  const bad = (edus: JsonObject[]) => (numbers(edus).includes(3) ? new RemoteError("b.test", 400, "M_BAD_JSON", {}) : undefined);
  const { loop, queue, delivered, events, failures, txnIds, setUp } = setup({ refuse: bad });
  setUp(true);
  for (let n = 1; n <= 5; n++) queue(n);
  loop.wake(["b.test"]);
  await settle();
  expect(numbers(delivered).sort()).toEqual([1, 2, 4, 5]);
  expect(failures()).toEqual([]);
  const dropped = events.filter((e) => e.type === "dropped");
  expect(dropped).toHaveLength(1);
  expect(dropped[0]).toMatchObject({ destination: "b.test", item: "EDU org.test", error: expect.stringContaining("400") });
  // Halves have their own transaction ids; later items go in a new transaction.
  expect(new Set(txnIds).size).toBe(txnIds.length);
  queue(6);
  loop.wake(["b.test"]);
  await settle();
  expect(numbers(delivered)).toContain(6);
  loop.stop();
});

test("404 of the endpoint and 413 are refusals for good too; 401, 403 and 429 are retried", async () => {
  for (const status of [404, 413]) {
    const { loop, queue, events, failures, setUp } = setup({ refuse: () => new RemoteError("b.test", status, "M_UNRECOGNIZED", {}) });
    setUp(true);
    queue(1);
    loop.wake(["b.test"]);
    await settle();
    expect({ status, dropped: events.filter((e) => e.type === "dropped").length, failures: failures() }).toEqual({ status, dropped: 1, failures: [] });
    loop.stop();
  }
  for (const status of [401, 403]) {
    const { loop, queue, queued, failures, setUp } = setup({ refuse: () => new RemoteError("b.test", status, "M_UNAUTHORIZED", {}) });
    setUp(true);
    queue(1);
    loop.wake(["b.test"]);
    await settle();
    expect({ status, failures: failures(), queued: queued().length }).toEqual({ status, failures: [2_000], queued: 1 });
    loop.stop();
  }
});

test("a 429 backs off at least as long as its retry_after_ms", async () => {
  const { clock, loop, queue, failures, setUp } = setup({ refuse: () => new RemoteError("b.test", 429, "M_LIMIT_EXCEEDED", { retry_after_ms: 30_000 }) });
  setUp(true);
  queue(1);
  loop.wake(["b.test"]);
  await settle();
  expect(failures()).toEqual([30_000]);
  clock.advance(29_999);
  await settle();
  expect(failures()).toHaveLength(1);
  loop.stop();
});

test("a destination that keeps failing keeps at most max_size items, none older than max_age", async () => {
  const { clock, loop, queue, queued, events } = setup({ maxItems: 3, maxAgeMs: 60_000 });
  for (let n = 1; n <= 5; n++) queue(n);
  loop.wake(["b.test"]);
  await settle();
  expect(queued()).toEqual([{ n: 3 }, { n: 4 }, { n: 5 }]);
  expect(events.find((e) => e.type === "trimmed")).toMatchObject({ destination: "b.test", dropped: 2, failures: 1 });
  clock.advance(61_000); // the retry is due after 2 s; now everything queued is over a minute old
  queue(6);
  await settle();
  expect(queued()).toEqual([{ n: 6 }]);
  loop.stop();
});
