/**
 * /sync over real HTTP against a real server process (temporary database, WAL + synchronous=FULL):
 *   1. incremental sync of a user in 100 rooms after one new event (target p99 <= 10 ms);
 *   2. wake-up latency: from the start of one user's send to the return of another user's
 *      long-poll (target p99 <= 20 ms; it includes the send's commit with fsync), and how much
 *      later than the send's own response the long-poll returned;
 *   3. initial sync of a user in 500 rooms x 50 events (default filter: 10 events per room);
 * then the server's resident memory. Run alone: `bun bench/sync.bench.ts`.
 */
import { call, percentile, register, startServer, type Session } from "./bench-server.ts";

const ROOMS_INCREMENTAL = 100;
/** Unmeasured rounds first, so the JIT has compiled the sync path before timing starts. */
const WARMUP_ROUNDS = 200;
const INCREMENTAL_SAMPLES = 500;
const WAKE_SAMPLES = 300;
const ROOMS_INITIAL = 500;
const EVENTS_PER_ROOM = 50;
const INITIAL_RUNS = 5;
/** Rooms filled at once while seeding (sends to different rooms proceed in parallel). */
const SEED_CONCURRENCY = 16;

interface SyncResponse {
  next_batch: string;
  rooms: { join: Record<string, { timeline: { events: unknown[] } }> };
}

const enc = encodeURIComponent;
let txn = 0;

function sync(baseUrl: string, who: Session, query: string): Promise<SyncResponse> {
  return call<SyncResponse>(baseUrl, "GET", `/_matrix/client/v3/sync?${query}`, who.access_token);
}

function send(baseUrl: string, who: Session, roomId: string, body: string): Promise<unknown> {
  return call(baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/b${++txn}`, who.access_token, {
    msgtype: "m.text",
    body,
  });
}

/** Creates `count` public rooms owned by `owner`, joined by every one of `members`. */
async function createRooms(baseUrl: string, owner: Session, members: Session[], count: number): Promise<string[]> {
  const rooms: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: SEED_CONCURRENCY }, async () => {
      while (next < count) {
        const n = next++;
        // Distinct create content: v12 room ids hash the create event, and these are made at once.
        const { room_id } = await call<{ room_id: string }>(baseUrl, "POST", "/_matrix/client/v3/createRoom", owner.access_token, {
          preset: "public_chat",
          creation_content: { "org.example.bench.room": `${owner.user_id} ${count} ${n}` },
        });
        for (const m of members) await call(baseUrl, "POST", `/_matrix/client/v3/join/${enc(room_id)}`, m.access_token, {});
        rooms.push(room_id);
      }
    }),
  );
  return rooms;
}

function line(label: string, values: number[], unit = "ms"): void {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(2).padStart(8);
  console.log(`${label.padEnd(50)} p50 ${f(percentile(sorted, 50))} ${unit}   p99 ${f(percentile(sorted, 99))} ${unit}   (${values.length} samples)`);
}

const server = await startServer();
try {
  const { baseUrl } = server;
  const [sender, reader, big] = await Promise.all([register(baseUrl, "sender"), register(baseUrl, "reader"), register(baseUrl, "big")]);

  // 1. Incremental sync, one new event, user in 100 rooms.
  const rooms = await createRooms(baseUrl, sender, [reader], ROOMS_INCREMENTAL);
  let token = (await sync(baseUrl, reader, "")).next_batch;
  const incremental: number[] = [];
  for (let i = -WARMUP_ROUNDS; i < INCREMENTAL_SAMPLES; i++) {
    await send(baseUrl, sender, rooms[(i + WARMUP_ROUNDS) % rooms.length]!, `incremental ${i}`);
    const t0 = performance.now();
    const res = await sync(baseUrl, reader, `since=${token}&timeout=0`);
    if (i >= 0) incremental.push(performance.now() - t0);
    if (Object.keys(res.rooms.join).length !== 1) throw new Error("incremental sync did not return exactly the one room");
    token = res.next_batch;
  }
  line(`incremental sync, 1 new event, ${ROOMS_INCREMENTAL} rooms`, incremental);

  // 2. Wake-up latency: the reader long-polls, the sender sends.
  const wake: number[] = [];
  const afterSend: number[] = [];
  for (let i = 0; i < WAKE_SAMPLES; i++) {
    const poll = sync(baseUrl, reader, `since=${token}&timeout=30000`).then((res) => ({ res, at: performance.now() }));
    await Bun.sleep(5); // let the long-poll park on the notifier
    const t0 = performance.now();
    await send(baseUrl, sender, rooms[i % rooms.length]!, `wake ${i}`);
    const sent = performance.now();
    const { res, at } = await poll;
    wake.push(at - t0);
    // Negative when the long-poll answered before the sender read its own 200.
    afterSend.push(at - sent);
    token = res.next_batch;
  }
  line("wake-up: send start -> long-poll return", wake);
  line("  long-poll return minus the send's own return", afterSend);

  // 3. Initial sync of a user in 500 rooms x 50 events.
  const seedStart = performance.now();
  const bigRooms = await createRooms(baseUrl, sender, [big], ROOMS_INITIAL);
  let filled = 0;
  await Promise.all(
    Array.from({ length: SEED_CONCURRENCY }, async () => {
      while (filled < bigRooms.length) {
        const roomId = bigRooms[filled++]!;
        // createRoom and the join already wrote 7 events; messages make up the rest.
        for (let e = 0; e < EVENTS_PER_ROOM - 7; e++) await send(baseUrl, sender, roomId, `history ${e}`);
      }
    }),
  );
  console.log(`(seeded ${ROOMS_INITIAL} rooms x ${EVENTS_PER_ROOM} events in ${((performance.now() - seedStart) / 1000).toFixed(1)} s)`);
  const initial: number[] = [];
  let bytes = 0;
  for (let i = 0; i < INITIAL_RUNS; i++) {
    const t0 = performance.now();
    const res = await fetch(`${baseUrl}/_matrix/client/v3/sync`, { headers: { authorization: `Bearer ${big.access_token}` } });
    const text = await res.text();
    initial.push(performance.now() - t0);
    bytes = text.length;
    const joined = Object.keys((JSON.parse(text) as SyncResponse).rooms.join).length;
    if (joined !== ROOMS_INITIAL) throw new Error(`initial sync returned ${joined} rooms`);
  }
  line(`initial sync, ${ROOMS_INITIAL} rooms x ${EVENTS_PER_ROOM} events (${(bytes / 1e6).toFixed(1)} MB)`, initial);
  console.log(`server RSS after the run: ${server.rssMiB().toFixed(0)} MiB`);
} finally {
  await server.stop();
}
