/**
 * Unread counts and push over real HTTP against a real server process:
 *   1. initial /sync of a user in 100 rooms x 50 unread events (default filter);
 *   2. the same initial /sync for a user whose 4 rooms hold 50 unread events each, and for one
 *      whose 4 rooms hold 5,000 each: counts are stored, so the two must differ by < 20%.
 * Run alone: `bun bench/push.bench.ts`.
 */
import { call, percentile, register, startServer, type Session } from "./bench-server.ts";

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

  // 1. 100 rooms x 50 events (createRoom and the join wrote 7; messages make up the rest).
  const hundred: string[] = [];
  for (let i = 0; i < 100; i++) hundred.push(await createRoom(baseUrl, sender, many, `many ${i}`));
  await fill(baseUrl, sender, hundred, 43);
  const wide = await initialSyncs(baseUrl, many, 20);
  line("initial sync, 100 rooms x 50 events, all unread", wide);

  // 2. The same shape of sync over little and over much unread history.
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
