/**
 * Simplified sliding sync (MSC4186) over real HTTP against a real server process (temporary
 * database, WAL + synchronous=FULL), for a user in 500 rooms, with Element X's room list request
 * (range 0-19, timeline_limit 1, its required_state):
 *   1. the first request of a connection (p50);
 *   2. an incremental request after one new event (p50/p99; target p99 < 10 ms), interleaved
 *      with the same incremental case through /sync v3, so both are measured side by side;
 *   3. wake-up latency: from the start of a send to the return of the parked sliding sync;
 *   4. the server CPU per send + incremental request of each API alone.
 * Run alone: `bun bench/sliding-sync.bench.ts`.
 */
import { call, percentile, register, startServer, type Session } from "./bench-server.ts";

const ROOMS = 500;
const FIRST_RUNS = 30;
/** Unmeasured rounds first, so the JIT has compiled both sync paths before timing starts. */
const WARMUP_ROUNDS = 100;
const INCREMENTAL_SAMPLES = 300;
const WAKE_SAMPLES = 200;
const CPU_ROUNDS = 300;
const SEED_CONCURRENCY = 16;

const enc = encodeURIComponent;
let txn = 0;

const elementXList = {
  ranges: [[0, 19]],
  timeline_limit: 1,
  required_state: [
    ["m.room.name", ""], ["m.room.encryption", ""], ["m.room.member", "$LAZY"], ["m.room.member", "$ME"], ["m.room.topic", ""],
    ["m.room.avatar", ""], ["m.room.canonical_alias", ""], ["m.room.power_levels", ""], ["org.matrix.msc3401.call.member", "*"],
    ["m.room.join_rules", ""], ["m.room.tombstone", ""], ["m.room.create", ""], ["m.room.history_visibility", ""], ["m.space.parent", "*"],
  ],
};
const request = { conn_id: "room-list", lists: { all_rooms: elementXList }, extensions: { account_data: { enabled: true }, receipts: { enabled: true, rooms: ["*"] }, typing: { enabled: true } } };

interface SlidingResponse {
  pos: string;
  rooms: Record<string, unknown>;
  lists: Record<string, { count: number }>;
}

function sliding(baseUrl: string, who: Session, pos: string | undefined, timeout = 0): Promise<SlidingResponse> {
  const query = `${pos === undefined ? "" : `pos=${enc(pos)}&`}timeout=${timeout}`;
  return call<SlidingResponse>(baseUrl, "POST", `/_matrix/client/unstable/org.matrix.simplified_msc3575/sync?${query}`, who.access_token, request);
}

function syncV3(baseUrl: string, who: Session, since: string): Promise<{ next_batch: string; rooms: { join: Record<string, unknown> } }> {
  return call(baseUrl, "GET", `/_matrix/client/v3/sync?since=${enc(since)}&timeout=0`, who.access_token);
}

function send(baseUrl: string, who: Session, roomId: string, body: string): Promise<unknown> {
  return call(baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/b${++txn}`, who.access_token, { msgtype: "m.text", body });
}

function line(label: string, values: number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  const f = (n: number) => n.toFixed(2).padStart(8);
  console.log(`${label.padEnd(58)} p50 ${f(p50)} ms   p99 ${f(p99)} ms   (${values.length} samples)`);
  return { p50, p99 };
}

const server = await startServer();
try {
  const { baseUrl } = server;
  const [sender, reader] = await Promise.all([register(baseUrl, "sender"), register(baseUrl, "reader")]);
  const seedStart = performance.now();
  const rooms: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: SEED_CONCURRENCY }, async () => {
      while (next < ROOMS) {
        const n = next++;
        const { room_id } = await call<{ room_id: string }>(baseUrl, "POST", "/_matrix/client/v3/createRoom", sender.access_token, {
          preset: "public_chat",
          name: `room ${n}`,
          creation_content: { "org.example.bench.room": `sliding ${n}` },
        });
        await call(baseUrl, "POST", `/_matrix/client/v3/join/${enc(room_id)}`, reader.access_token, {});
        await send(baseUrl, sender, room_id, `hello ${n}`);
        rooms.push(room_id);
      }
    }),
  );
  console.log(`(seeded ${ROOMS} rooms in ${((performance.now() - seedStart) / 1000).toFixed(1)} s)`);

  // 1. The first request of a new connection (no pos): list of 500, window of 20.
  const first: number[] = [];
  let pos = "";
  for (let i = 0; i < FIRST_RUNS + 5; i++) {
    const t0 = performance.now();
    const res = await sliding(baseUrl, reader, undefined);
    if (i >= 5) first.push(performance.now() - t0);
    if (res.lists.all_rooms!.count !== ROOMS || Object.keys(res.rooms).length !== 20) throw new Error("the first request did not return 20 of 500 rooms");
    pos = res.pos;
  }
  line(`sliding sync: first request, range 0-19 of ${ROOMS} rooms`, first);

  // 2. Incremental after one new event, sliding sync and /sync v3 interleaved.
  let token = (await call<{ next_batch: string }>(baseUrl, "GET", "/_matrix/client/v3/sync?filter=%7B%22room%22%3A%7B%22timeline%22%3A%7B%22limit%22%3A1%7D%7D%7D", reader.access_token)).next_batch;
  const slidingTimes: number[] = [];
  const v3Times: number[] = [];
  for (let i = -WARMUP_ROUNDS; i < INCREMENTAL_SAMPLES; i++) {
    await send(baseUrl, sender, rooms[(i + WARMUP_ROUNDS) % rooms.length]!, `incremental ${i}`);
    let t0 = performance.now();
    const s = await sliding(baseUrl, reader, pos);
    if (i >= 0) slidingTimes.push(performance.now() - t0);
    if (Object.keys(s.rooms).length !== 1) throw new Error(`incremental sliding sync returned ${Object.keys(s.rooms).length} rooms`);
    pos = s.pos;
    t0 = performance.now();
    const v = await syncV3(baseUrl, reader, token);
    if (i >= 0) v3Times.push(performance.now() - t0);
    if (Object.keys(v.rooms.join).length !== 1) throw new Error("incremental /sync did not return exactly the one room");
    token = v.next_batch;
  }
  const s = line(`sliding sync: incremental, 1 new event, ${ROOMS} rooms`, slidingTimes);
  const v = line(`/sync v3: incremental, 1 new event, ${ROOMS} rooms`, v3Times);
  console.log(`sliding / v3: p50 ${(s.p50 / v.p50).toFixed(2)}x, p99 ${(s.p99 / v.p99).toFixed(2)}x`);

  // 3. Wake-up: the reader's sliding sync parks, the sender sends.
  const wake: number[] = [];
  for (let i = 0; i < WAKE_SAMPLES; i++) {
    const poll = sliding(baseUrl, reader, pos, 30_000).then((res) => ({ res, at: performance.now() }));
    await Bun.sleep(5); // let the long-poll park on the notifier
    const t0 = performance.now();
    await send(baseUrl, sender, rooms[i % rooms.length]!, `wake ${i}`);
    const { res, at } = await poll;
    wake.push(at - t0);
    pos = res.pos;
  }
  line("sliding sync wake-up: send start -> long-poll return", wake);
  // 4. Server CPU per round (a send and an incremental request), each API alone: a figure the
  // machine's other load barely moves, unlike the latencies above.
  const cpuPerRound = async (label: string, syncOnce: () => Promise<void>) => {
    const before = server.cpuMs();
    for (let i = 0; i < CPU_ROUNDS; i++) {
      await send(baseUrl, sender, rooms[i % rooms.length]!, `cpu ${i}`);
      await syncOnce();
    }
    const perRound = (server.cpuMs() - before) / CPU_ROUNDS;
    console.log(`${label.padEnd(58)} ${perRound.toFixed(2)} ms server CPU per send + request`);
    return perRound;
  };
  const cpuSliding = await cpuPerRound("sliding sync: incremental", async () => {
    pos = (await sliding(baseUrl, reader, pos)).pos;
  });
  const cpuV3 = await cpuPerRound("/sync v3: incremental", async () => {
    token = (await syncV3(baseUrl, reader, token)).next_batch;
  });
  console.log(`sliding / v3 server CPU: ${(cpuSliding / cpuV3).toFixed(2)}x`);

  console.log(`server RSS after the run: ${server.rssMiB().toFixed(0)} MiB`);
} finally {
  await server.stop();
}
