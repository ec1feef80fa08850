// The delivery loop on a fake clock: a failing destination is retried after 2 s, then 4 s (the
// backoff doubles), not a moment before; a request from it retries at once; what it refused on the
// way stays queued and arrives in order.
import { expect, test } from "bun:test";
import type { JsonObject } from "../../../src/core";
import type { FederationClient, FederationRequest } from "../../../src/net/federation-client";
import { createFakeClock } from "../../../src/runtime/clock";
import { createLogger } from "../../../src/runtime/logger";
import { createStorage, openDatabase } from "../../../src/storage";
import type { SenderEvent } from "../../../src/workers/federation-sender/protocol";
import { createSenderLoop } from "../../../src/workers/federation-sender/sender-loop";

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

function setup() {
  const clock = createFakeClock();
  const storage = createStorage(openDatabase(":memory:"));
  const events: SenderEvent[] = [];
  const delivered: JsonObject[] = [];
  let up = false;
  const client: FederationClient = {
    async request<T>(destination: string, req: FederationRequest): Promise<T> {
      if (!up) throw new Error(`${destination} is down`);
      for (const edu of ((req.body as JsonObject).edus ?? []) as JsonObject[]) delivered.push(edu);
      return {} as T;
    },
  };
  const loop = createSenderLoop({
    serverName: "a.test",
    queue: storage.federationQueue,
    client,
    clock,
    log: createLogger("error", () => {}),
    emit: (e) => events.push(e),
  });
  const queue = (n: number) =>
    storage.federationQueue.enqueue(["b.test"], "edu", JSON.stringify({ edu_type: "org.test", content: { n } }), clock.now());
  const failures = () => events.filter((e) => e.type === "failed").map((e) => (e.type === "failed" ? e.retryInMs : 0));
  return { clock, loop, queue, events, delivered, failures, setUp: (value: boolean) => (up = value) };
}

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
