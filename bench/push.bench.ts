/**
 * Push rules and unread counts:
 *   1. in process, over a database file: the push work for one message in a room of 1,000 local
 *      members (evaluation for each member, counters, the notification record), with every member
 *      on the default rules and with 50 of them on 5 keyword rules each (target < 2 ms CPU per
 *      event); and a whole send in that room, for scale;
 * then over real HTTP against a real server process:
 *   2. initial /sync of a user in 100 rooms x 50 unread events (default filter);
 *   3. the same initial /sync for a user whose 4 rooms hold 50 unread events each, and for one
 *      whose 4 rooms hold 5,000 each: counts are stored, so the two must differ by < 20%.
 * Run alone: `bun bench/push.bench.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/runtime/logger";
import { systemClock } from "../src/runtime/clock";
import { buildServices } from "../src/services";
import type { Requester } from "../src/services/accounts/access-tokens";
import { loadOrCreateSigningKey } from "../src/services/federation/keys/signing-key";
import { createEventNotifications } from "../src/services/push/event-notifications";
import { createStorage, openDatabase } from "../src/storage";
import { createFederationSender } from "../src/workers/federation-sender/sender";
import { createThumbnailer } from "../src/workers/thumbnailer/pool";
import { call, percentile, register, startServer, type Session } from "./bench-server.ts";

const MEMBERS = 1_000;
const EVALUATIONS = 300;
const SENDS = 100;

/** CPU milliseconds (user + system) of this process while `run` runs. */
function cpuMs(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

async function pushEvaluationInProcess(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "conduit-push-bench-"));
  const config = await loadConfig({ env: { CONDUIT_RATE_LIMITS_ENABLED: "false", CONDUIT_SERVER_NAME: "bench.local" }, warn: () => {} });
  const storage = createStorage(openDatabase(join(dir, "conduit.db")));
  const log = createLogger("error", () => {});
  const signingKey = loadOrCreateSigningKey(storage, systemClock);
  const outbound = createFederationSender({ config, storage, clock: systemClock, log, signingKey });
  const services = buildServices({ config, storage, clock: systemClock, log, signingKey, outbound, thumbnailer: createThumbnailer() });
  try {
    const users: Requester[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const userId = `@member${i}:bench.local`;
      storage.accounts.insertUser({ userId, passwordHash: null, displayname: null, isGuest: false, createdTs: 0 });
      storage.accounts.ensureDevice(userId, "D", null, 0);
      users.push({ userId, deviceId: "D", isGuest: false });
    }
    const { room_id: roomId } = await services.rooms.creation.createRoom(users[0]!, { preset: "public_chat" });
    for (const u of users.slice(1)) await services.membership.join(u, roomId);
    const { event_id } = await services.rooms.actions.sendMessage(users[1]!, roomId, "m.room.message", "probe", {
      msgtype: "m.text",
      body: "Is anyone around for lunch? Asking for the whole team, no keyword in here",
    });
    const head = services.rooms.heads.get(roomId)!;
    const pdu = { ...services.rooms.eventStore.getPdu(event_id)!, event_id };
    const stateBefore = storage.events.get(event_id)!.state_before;
    // The push work alone, as the persister's listener runs it for one event, on fresh stream positions.
    const notifications = createEventNotifications({
      serverName: config.server_name,
      storage,
      state: services.rooms.state,
      eventStore: services.rooms.eventStore,
      rules: services.push.rules,
      pushers: services.push.pushers,
      clock: systemClock,
    });
    let stream = 1_000_000_000;
    const evaluate = (count: number) =>
      cpuMs(() => {
        for (let i = 0; i < count; i++) {
          storage.transaction(() => notifications.onTimelineEvent({ head, pdu, stream: ++stream, stateBefore, joinedBefore: new Set(head.joined) }));
        }
      }) / count;
    evaluate(30); // warm-up
    const defaults = evaluate(EVALUATIONS);
    for (const u of users.slice(2, 52)) {
      for (let k = 0; k < 5; k++) {
        services.push.rules.putRule(u.userId, "content", `kw${k}`, { pattern: `${u.userId.slice(1, 9)}-word${k}`, actions: ["notify", { set_tweak: "highlight" }] }, {});
      }
    }
    evaluate(30);
    const custom = evaluate(EVALUATIONS);
    console.log(`push work per event, ${MEMBERS} local members, default rules`.padEnd(66) + `${defaults.toFixed(3)} ms CPU (target < 2)`);
    console.log(`push work per event, ${MEMBERS} local members, 50 with 5 keyword rules`.padEnd(66) + `${custom.toFixed(3)} ms CPU (target < 2)`);
    let sends = 0;
    const sendCpuStart = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < SENDS; i++) {
      await services.rooms.actions.sendMessage(users[1 + (i % 10)]!, roomId, "m.room.message", `s${i}`, { msgtype: "m.text", body: `message ${i}` });
      sends++;
    }
    const sendCpu = process.cpuUsage(sendCpuStart);
    const perSend = (sendCpu.user + sendCpu.system) / 1000 / sends;
    console.log(`a whole send in that room (in process, incl. commit)`.padEnd(66) + `${perSend.toFixed(3)} ms CPU, ${((performance.now() - t0) / sends).toFixed(2)} ms wall`);
  } finally {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await pushEvaluationInProcess();

const enc = encodeURIComponent;
const SEED_CONCURRENCY = 8;
let txn = 0;

async function createRoom(baseUrl: string, owner: Session, member: Session, tag: string): Promise<string> {
  const { room_id } = await call<{ room_id: string }>(baseUrl, "POST", "/_matrix/client/v3/createRoom", owner.access_token, {
    preset: "public_chat",
    creation_content: { "org.example.bench.room": tag },
  });
  await call(baseUrl, "POST", `/_matrix/client/v3/join/${enc(room_id)}`, member.access_token, {});
  return room_id;
}

/** Sends `perRoom` messages from `sender` into each room, several rooms at once. */
async function fill(baseUrl: string, sender: Session, rooms: string[], perRoom: number): Promise<void> {
  const jobs = rooms.flatMap((room) => Array.from({ length: perRoom }, () => room));
  let next = 0;
  await Promise.all(
    Array.from({ length: SEED_CONCURRENCY }, async () => {
      while (next < jobs.length) {
        const room = jobs[next++]!;
        await call(baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/p${++txn}`, sender.access_token, {
          msgtype: "m.text",
          body: `message ${txn}`,
        });
      }
    }),
  );
}

interface Timed {
  ms: number[];
  counts: number[];
}

async function initialSyncs(baseUrl: string, who: Session, runs: number): Promise<Timed> {
  const ms: number[] = [];
  let counts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const body = await call<{ rooms: { join: Record<string, { unread_notifications?: { notification_count: number } }> } }>(
      baseUrl,
      "GET",
      "/_matrix/client/v3/sync",
      who.access_token,
    );
    ms.push(performance.now() - t0);
    counts = Object.values(body.rooms.join).map((r) => r.unread_notifications?.notification_count ?? -1);
  }
  return { ms: ms.sort((a, b) => a - b), counts };
}

function line(label: string, t: Timed): void {
  const f = (n: number) => n.toFixed(2).padStart(8);
  console.log(`${label.padEnd(58)} p50 ${f(percentile(t.ms, 50))} ms   p99 ${f(percentile(t.ms, 99))} ms   (${t.ms.length} runs)`);
}

const server = await startServer();
try {
  const { baseUrl } = server;
  const [sender, many, few, lots] = await Promise.all(["sender", "many", "few", "lots"].map((n) => register(baseUrl, n)));

  // 2. 100 rooms x 50 events (createRoom and the join wrote 7; messages make up the rest).
  const hundred: string[] = [];
  for (let i = 0; i < 100; i++) hundred.push(await createRoom(baseUrl, sender, many, `many ${i}`));
  await fill(baseUrl, sender, hundred, 43);
  const wide = await initialSyncs(baseUrl, many, 20);
  line("initial sync, 100 rooms x 50 events, all unread", wide);

  // 3. The same shape of sync over little and over much unread history.
  const small = await Promise.all([0, 1, 2, 3].map((i) => createRoom(baseUrl, sender, few, `few ${i}`)));
  const large = await Promise.all([0, 1, 2, 3].map((i) => createRoom(baseUrl, sender, lots, `lots ${i}`)));
  const seedStart = performance.now();
  await fill(baseUrl, sender, small, 50);
  await fill(baseUrl, sender, large, 5_000);
  console.log(`(seeded 4 x 50 and 4 x 5,000 messages in ${((performance.now() - seedStart) / 1000).toFixed(0)} s)`);
  // Interleaved rounds, so a busy moment of the machine falls on both alike.
  const a: Timed = { ms: [], counts: [] };
  const b: Timed = { ms: [], counts: [] };
  for (let round = 0; round < 5; round++) {
    const x = await initialSyncs(baseUrl, few, 20);
    const y = await initialSyncs(baseUrl, lots, 20);
    a.ms.push(...x.ms);
    b.ms.push(...y.ms);
    a.counts = x.counts;
    b.counts = y.counts;
  }
  a.ms.sort((p, q) => p - q);
  b.ms.sort((p, q) => p - q);
  line(`initial sync, 4 rooms x 50 unread (counts ${a.counts.join(",")})`, a);
  line(`initial sync, 4 rooms x 5,000 unread (counts ${b.counts.join(",")})`, b);
  const ratio = percentile(b.ms, 50) / percentile(a.ms, 50);
  console.log(`5,000 vs 50 unread: ${ratio.toFixed(2)}x at p50 (target < 1.20x)`);
} finally {
  await server.stop();
}
