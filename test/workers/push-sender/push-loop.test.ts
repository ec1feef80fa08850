// The push delivery loop against a real HTTPS gateway on loopback: order and payload per format,
// retries with backoff on 5xx, pushes dropped on a refusal or after a day, rejected pushkeys lose
// their pusher, and denylisted gateway addresses are never contacted.
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import type { JsonObject } from "../../../src/core";
import { createAddressGuard } from "../../../src/net/ip-ranges";
import { createOutboundHttp } from "../../../src/net/outbound-http";
import { systemClock } from "../../../src/runtime/clock";
import { createLogger } from "../../../src/runtime/logger";
import { createStorage, openDatabase, type Storage } from "../../../src/storage";
import type { NewPusher } from "../../../src/storage/pushers";
import { createPushLoop, MAX_PUSH_AGE_MS } from "../../../src/workers/push-sender/push-loop";
import type { PushSenderEvent } from "../../../src/workers/push-sender/protocol";
import { createTestCa, type TestCa } from "../../helpers/tls";

let ca: TestCa;
let gateway: ReturnType<typeof Bun.serve>;
/** Bodies the gateway received, in order. */
let received: JsonObject[] = [];
/** What the gateway answers next (then 200 `{ rejected: [] }`). */
let answers: { status: number; body?: JsonObject }[] = [];

beforeAll(() => {
  ca = createTestCa();
  const leaf = ca.issue("gateway");
  gateway = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: leaf.cert, key: leaf.key },
    async fetch(req) {
      if (new URL(req.url).pathname !== "/_matrix/push/v1/notify") return new Response("no", { status: 404 });
      received.push((await req.json()) as JsonObject);
      const next = answers.shift() ?? { status: 200, body: { rejected: [] } };
      return Response.json(next.body ?? {}, { status: next.status });
    },
  });
});
afterAll(() => {
  gateway.stop(true);
  ca.remove();
});

let storage: Storage;
let events: PushSenderEvent[];
let offset = 0;
const clock = { now: () => Date.now() + offset, schedule: systemClock.schedule };
let loop: ReturnType<typeof createPushLoop>;

function startLoop(denylist: string[] = []) {
  loop = createPushLoop({
    queue: storage.pushQueue,
    pushers: storage.pushers,
    http: createOutboundHttp({ guard: createAddressGuard(denylist), ca: [ca.caCert], allowInvalidCertificates: false }),
    clock,
    log: createLogger("error"),
    emit: (e) => events.push(e),
  });
}

beforeEach(() => {
  storage = createStorage(openDatabase(":memory:"));
  for (const user of ["@alice:x", "@bob:x"]) storage.accounts.insertUser({ userId: user, passwordHash: null, displayname: null, isGuest: false, createdTs: 1 });
  events = [];
  received = [];
  answers = [];
  offset = 0;
  startLoop();
});
afterEach(() => {
  loop.stop();
  storage.close();
});

function addPusher(over: Partial<NewPusher> & { format?: string } = {}): number {
  const { format, ...rest } = over;
  const data: JsonObject = { url: `https://127.0.0.1:${gateway.port}/_matrix/push/v1/notify`, custom: "kept" };
  if (format) data.format = format;
  return storage.pushers.set(
    {
      user_id: "@alice:x", app_id: "org.example.app", pushkey: "pk1", kind: "http", app_display_name: "App",
      device_display_name: "Phone", profile_tag: null, lang: "en", data: JSON.stringify(data), device_id: null, pushkey_ts: 1_700_000_000_123,
      ...rest,
    },
    false,
  );
}

const notification = (n: number): JsonObject => ({
  event_id: `$e${n}`, room_id: "!r:x", type: "m.room.message", sender: "@bob:x", sender_display_name: "Bob",
  content: { msgtype: "m.text", body: `hello ${n}` }, counts: { unread: n }, prio: "high",
});
/** Queues push `n` for every pusher of `user`. */
const queuePush = (n: number, createdTs = clock.now(), user = "@alice:x") =>
  storage.pushQueue.enqueueForUser(user, JSON.stringify(notification(n)), JSON.stringify({ sound: "default" }), createdTs);

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await Bun.sleep(10);
  }
}
const sent = () => events.filter((e) => e.type === "sent").length;

test("pushes go out oldest first, with the device entry and every event field", async () => {
  const id = addPusher();
  for (let n = 1; n <= 3; n++) queuePush(n);
  loop.wake([id]);
  await until(() => sent() === 3);
  expect(received.map((b) => (b.notification as JsonObject).event_id)).toEqual(["$e1", "$e2", "$e3"]);
  expect(received[0]).toEqual({
    notification: {
      ...notification(1),
      devices: [{ app_id: "org.example.app", pushkey: "pk1", pushkey_ts: 1_700_000_000, data: { custom: "kept" }, tweaks: { sound: "default" } }],
    },
  });
  expect(storage.pushQueue.size()).toBe(0);
});

test("event_id_only sends the ids, counts and priority only", async () => {
  const id = addPusher({ format: "event_id_only" });
  queuePush(7);
  loop.wake([]);
  await until(() => sent() === 1);
  const body = received[0]!.notification as JsonObject;
  expect(Object.keys(body).sort()).toEqual(["counts", "devices", "event_id", "prio", "room_id"]);
  expect((body.devices as JsonObject[])[0]!.data).toEqual({ custom: "kept", format: "event_id_only" });
});

test("a 5xx answer is retried after the backoff, in the same order", async () => {
  const id = addPusher();
  queuePush(1);
  queuePush(2);
  answers = [{ status: 503 }];
  loop.wake([id]);
  await until(() => events.some((e) => e.type === "failed"));
  const failed = events.find((e) => e.type === "failed")!;
  expect(failed).toMatchObject({ type: "failed", pusherId: id, failures: 1 });
  expect(storage.pushers.get(id)!.failures).toBe(1);
  // A wake during the backoff sends nothing.
  loop.wake([id]);
  await Bun.sleep(50);
  expect(received).toHaveLength(1);
  await until(() => sent() === 2);
  expect(received.map((b) => (b.notification as JsonObject).event_id)).toEqual(["$e1", "$e1", "$e2"]);
  expect(storage.pushers.get(id)).toMatchObject({ failures: 0, retry_at_ts: 0 });
});

test("a 4xx answer drops that push and moves on", async () => {
  const id = addPusher();
  queuePush(1);
  queuePush(2);
  answers = [{ status: 400, body: { errcode: "M_BAD_JSON" } }];
  loop.wake([id]);
  await until(() => sent() === 1);
  expect(events[0]).toMatchObject({ type: "dropped", eventId: "$e1", reason: "gateway answered 400" });
  expect(storage.pushQueue.size()).toBe(0);
});

test("a rejected pushkey removes its pusher and what it had queued; other pushkeys in the answer do not", async () => {
  const id = addPusher();
  const other = addPusher({ pushkey: "pk2", user_id: "@bob:x" });
  queuePush(1);
  queuePush(2);
  answers = [{ status: 200, body: { rejected: ["pk1"] } }];
  loop.wake([id]);
  await until(() => events.some((e) => e.type === "rejected"));
  expect(events.at(-1)).toEqual({ type: "rejected", pusherId: id, userId: "@alice:x", appId: "org.example.app", pushkey: "pk1" });
  expect(storage.pushers.get(id)).toBeNull();
  expect(storage.pushQueue.size()).toBe(0);
  queuePush(3, clock.now(), "@bob:x");
  answers = [{ status: 200, body: { rejected: ["pk1"] } }];
  loop.wake([other]);
  await until(() => sent() === 2);
  expect(storage.pushers.get(other)).not.toBeNull();
});

test("a push queued for over a day is dropped, not sent", async () => {
  const id = addPusher();
  queuePush(1, clock.now() - MAX_PUSH_AGE_MS - 1);
  queuePush(2);
  loop.wake([id]);
  await until(() => sent() === 1);
  expect(events[0]).toMatchObject({ type: "dropped", eventId: "$e1" });
  expect(received.map((b) => (b.notification as JsonObject).event_id)).toEqual(["$e2"]);
});

test("a gateway on a denylisted address is never contacted", async () => {
  loop.stop();
  startLoop(["127.0.0.0/8"]);
  const id = addPusher();
  queuePush(1);
  loop.wake([id]);
  await until(() => events.length === 1);
  expect(events[0]).toMatchObject({ type: "dropped", eventId: "$e1" });
  expect((events[0] as { reason: string }).reason).toContain("denylist");
  expect(received).toHaveLength(0);
});
