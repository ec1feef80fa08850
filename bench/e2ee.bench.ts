/**
 * End-to-end encryption over real HTTP against a real server process (temporary database, WAL +
 * synchronous=FULL):
 *   1. POST /keys/query and POST /keys/claim for 100 users x 5 devices in one request (p50/p99);
 *   2. to-device throughput: requests to one device, and to `*` of 100 users x 5 devices;
 *   3. what E2EE adds to /sync: a user sharing a room with 1,000 users, incremental sync after one
 *      new event, and after one device-list change.
 * `BENCH_BASELINE_ROOT=<checkout>` also runs part 3 against a server started from another
 * checkout (the tree before E2EE), side by side in the same run. `bun bench/e2ee.bench.ts [sync]`
 * runs everything, or part 3 only.
 */
import { call, percentile, register, startServer, type BenchServer, type Session } from "./bench-server.ts";
import { testDevice, type TestDevice } from "../test/helpers/e2ee-keys.ts";

const USERS = 100;
const DEVICES = 5;
const OTKS_PER_DEVICE = 100;
const QUERY_SAMPLES = 200;
const CLAIM_SAMPLES = 100;
const TO_ONE_REQUESTS = 1_000;
const TO_ALL_REQUESTS = 50;
const SHARING_USERS = 1_000;
const SYNC_SAMPLES = 300;
const WARMUP = 50;
const CONCURRENCY = 8;

const enc = encodeURIComponent;
let txn = 0;

function line(label: string, values: number[], unit = "ms"): void {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(2).padStart(8);
  console.log(`${label.padEnd(58)} p50 ${f(percentile(sorted, 50))} ${unit}   p99 ${f(percentile(sorted, 99))} ${unit}   (${values.length} samples)`);
}

/** Runs `work(i)` for i in [0, n) with `CONCURRENCY` in flight. */
async function parallel(n: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) await work(next++);
  }));
}

async function login(baseUrl: string, user: string, deviceId: string): Promise<Session> {
  return call<Session>(baseUrl, "POST", "/_matrix/client/v3/login", undefined, {
    type: "m.login.password",
    identifier: { type: "m.id.user", user },
    password: "bench password 1234",
    device_id: deviceId,
  });
}

async function timed(samples: number, run: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = -WARMUP; i < samples; i++) {
    const t0 = performance.now();
    await run();
    if (i >= 0) out.push(performance.now() - t0);
  }
  return out;
}

async function keysAndToDevice(server: BenchServer): Promise<void> {
  const { baseUrl } = server;
  const seedStart = performance.now();
  const users: Session[] = [];
  await parallel(USERS, async (i) => (users[i] = await register(baseUrl, `k${i}`)));
  const devices: { session: Session; device: TestDevice }[] = [];
  await parallel(USERS * DEVICES, async (n) => {
    const user = users[Math.floor(n / DEVICES)]!;
    const deviceId = `D${n % DEVICES}`;
    const session = n % DEVICES === 0 ? user : await login(baseUrl, user.user_id.slice(1, user.user_id.indexOf(":")), deviceId);
    const device = testDevice(user.user_id, session.device_id);
    await call(baseUrl, "POST", "/_matrix/client/v3/keys/upload", session.access_token, {
      device_keys: device.deviceKeys(),
      one_time_keys: device.oneTimeKeys(OTKS_PER_DEVICE),
      fallback_keys: device.fallbackKey(),
    });
    devices[n] = { session, device };
  });
  console.log(`(seeded ${USERS} users x ${DEVICES} devices x ${OTKS_PER_DEVICE} one-time keys in ${((performance.now() - seedStart) / 1000).toFixed(1)} s)`);
  const reader = users[0]!;

  const everyone = Object.fromEntries(users.map((u) => [u.user_id, [] as string[]]));
  const query = await timed(QUERY_SAMPLES, async () => {
    const res = await call<{ device_keys: Record<string, Record<string, unknown>> }>(baseUrl, "POST", "/_matrix/client/v3/keys/query", reader.access_token, { device_keys: everyone });
    if (Object.keys(res.device_keys).length !== USERS) throw new Error("keys/query did not return every user");
  });
  line(`keys/query, ${USERS} users x ${DEVICES} devices`, query);

  const claimBody = { one_time_keys: {} as Record<string, Record<string, string>> };
  for (const { device } of devices) (claimBody.one_time_keys[device.userId] ??= {})[device.deviceId] = "signed_curve25519";
  // Warm-up claims use keys too: one claim per sample and per warm-up round fits the stock.
  const claim = await timed(CLAIM_SAMPLES - WARMUP, async () => {
    const res = await call<{ one_time_keys: Record<string, Record<string, unknown>> }>(baseUrl, "POST", "/_matrix/client/v3/keys/claim", reader.access_token, claimBody);
    const claimed = Object.values(res.one_time_keys).reduce((n, d) => n + Object.keys(d).length, 0);
    if (claimed !== USERS * DEVICES) throw new Error(`keys/claim returned ${claimed} keys`);
  });
  line(`keys/claim, ${USERS} users x ${DEVICES} devices (one-time keys)`, claim);

  // To-device: one message per request to one device, requests in flight at once.
  const target = devices[1]!.device;
  let start = performance.now();
  await parallel(TO_ONE_REQUESTS, (i) =>
    call(baseUrl, "PUT", `/_matrix/client/v3/sendToDevice/m.bench/o${i}`, reader.access_token, {
      messages: { [target.userId]: { [target.deviceId]: { n: i } } },
    }));
  let seconds = (performance.now() - start) / 1000;
  console.log(`${"sendToDevice to one device".padEnd(58)} ${(TO_ONE_REQUESTS / seconds).toFixed(0).padStart(8)} requests/s`);

  const toAll = { messages: Object.fromEntries(users.map((u) => [u.user_id, { "*": { hello: "everyone" } }])) };
  start = performance.now();
  for (let i = 0; i < TO_ALL_REQUESTS; i++) await call(baseUrl, "PUT", `/_matrix/client/v3/sendToDevice/m.bench/a${i}`, reader.access_token, toAll);
  seconds = (performance.now() - start) / 1000;
  console.log(
    `${`sendToDevice to * of ${USERS} users (${USERS * DEVICES} devices)`.padEnd(58)} ${(TO_ALL_REQUESTS / seconds).toFixed(1).padStart(8)} requests/s = ${((TO_ALL_REQUESTS * USERS * DEVICES) / seconds).toFixed(0)} deliveries/s`,
  );
  // Draining one device's inbox through /sync, 100 at a time.
  start = performance.now();
  let since = "";
  let drained = 0;
  for (;;) {
    const res = await call<{ next_batch: string; to_device: { events: unknown[] } }>(baseUrl, "GET", `/_matrix/client/v3/sync?timeout=0${since ? `&since=${since}` : ""}`, devices[1]!.session.access_token);
    drained += res.to_device.events.length;
    if (res.to_device.events.length === 0 && since) break;
    since = res.next_batch;
  }
  seconds = (performance.now() - start) / 1000;
  console.log(`${`draining ${drained} to-device messages through /sync`.padEnd(58)} ${(drained / seconds).toFixed(0).padStart(8)} messages/s`);
}

const devicesOf = new Map<string, TestDevice>();

/** Part 3 on one server; the device-list case only where the server has E2EE. */
async function sharingSync(server: BenchServer, label: string): Promise<void> {
  const { baseUrl } = server;
  const seedStart = performance.now();
  const reader = await register(baseUrl, "reader");
  const others: Session[] = [];
  await parallel(SHARING_USERS, async (i) => (others[i] = await register(baseUrl, `s${i}`)));
  const { room_id: roomId } = await call<{ room_id: string }>(baseUrl, "POST", "/_matrix/client/v3/createRoom", reader.access_token, { preset: "public_chat" });
  await parallel(SHARING_USERS, (i) => call(baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, others[i]!.access_token, {}));
  console.log(`(${label}: seeded ${SHARING_USERS} users in one room in ${((performance.now() - seedStart) / 1000).toFixed(1)} s)`);

  const sync = (since: string) =>
    call<{ next_batch: string; device_lists?: { changed: string[] } }>(baseUrl, "GET", `/_matrix/client/v3/sync?timeout=0&since=${since}`, reader.access_token);
  let token = (await call<{ next_batch: string }>(baseUrl, "GET", "/_matrix/client/v3/sync?timeout=0", reader.access_token)).next_batch;
  const afterEvent: number[] = [];
  for (let i = -WARMUP; i < SYNC_SAMPLES; i++) {
    await call(baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/e${++txn}`, others[0]!.access_token, { msgtype: "m.text", body: `m ${i}` });
    const t0 = performance.now();
    token = (await sync(token)).next_batch;
    if (i >= 0) afterEvent.push(performance.now() - t0);
  }
  line(`${label}: sync, ${SHARING_USERS} sharing a room, 1 new event`, afterEvent);

  const probe = await fetch(`${baseUrl}/_matrix/client/v3/keys/upload`, { method: "POST", headers: { authorization: `Bearer ${others[0]!.access_token}` }, body: "{}" });
  if (probe.status === 404) return;
  const afterChange: number[] = [];
  for (let i = -WARMUP; i < SYNC_SAMPLES; i++) {
    const who = others[(i + WARMUP) % SHARING_USERS]!;
    // New algorithms (a new signature) on the same identity keys are a device-list change.
    const device = devicesOf.get(who.user_id) ?? testDevice(who.user_id, who.device_id);
    devicesOf.set(who.user_id, device);
    await call(baseUrl, "POST", "/_matrix/client/v3/keys/upload", who.access_token, { device_keys: device.deviceKeys({ algorithms: [`m.bench.${i}`] }) });
    const t0 = performance.now();
    const res = await sync(token);
    if (i >= 0) afterChange.push(performance.now() - t0);
    if (!res.device_lists?.changed.includes(who.user_id)) throw new Error("the change was not in device_lists.changed");
    token = res.next_batch;
  }
  line(`${label}: sync, ${SHARING_USERS} sharing a room, 1 device-list change`, afterChange);
}
const onlySync = process.argv[2] === "sync";
const baselineRoot = process.env.BENCH_BASELINE_ROOT;
if (baselineRoot) {
  const baseline = await startServer([], { root: baselineRoot });
  try {
    await sharingSync(baseline, "before");
  } finally {
    await baseline.stop();
  }
}
const server = await startServer();
try {
  await sharingSync(server, baselineRoot ? "after" : "now");
  if (!onlySync) await keysAndToDevice(server);
  console.log(`server RSS after the run: ${server.rssMiB().toFixed(0)} MiB`);
} finally {
  await server.stop();
}
