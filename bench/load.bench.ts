/**
 * The compiled executable under a mixed load, for its memory and its I/O (issue 15's workload):
 * 50 senders in one room, 100 rooms x 5 senders, 5 users in all 100 rooms long-polling /sync the
 * whole time, then their initial syncs. Reports the idle resident memory after start (target
 * <= 40 MB), the peak during the load (VmHWM, target <= 100 MB), bytes written to disk per message
 * (`write_bytes` of /proc/<pid>/io, target <= 10 KB) with the write calls and bytes handed to the
 * kernel, and CPU per message. `bun bench/load.bench.ts [binary]` measures another executable
 * (a baseline built from another checkout) with the same load.
 */
import { currentBinary } from "./binary";
import { join } from "node:path";
import { call, percentile, register, startServer, type ProcessIo, type Session } from "./bench-server";
import { walPages } from "./wal-pages";

const CROWD = 50;
const CROWD_MESSAGES_EACH = 40;
const ROOMS = 100;
const ROOM_SENDERS = 5;
const ROOM_MESSAGES_EACH = 20;
const SYNCERS = 5;
const INITIAL_SYNCS_EACH = 3;
/** Sends in flight at once. */
const CONCURRENCY = 16;
const IDLE_SETTLE_MS = 2_000;

const enc = encodeURIComponent;
let txn = 0;

async function inParallel<T>(items: readonly T[], width: number, run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await run(items[next++]!);
  }));
}

async function createRoom(baseUrl: string, owner: Session, members: Session[], tag: string): Promise<string> {
  const { room_id } = await call<{ room_id: string }>(baseUrl, "POST", "/_matrix/client/v3/createRoom", owner.access_token, {
    preset: "public_chat",
    creation_content: { "org.example.bench.room": tag },
  });
  for (const m of members) await call(baseUrl, "POST", `/_matrix/client/v3/join/${enc(room_id)}`, m.access_token, {});
  return room_id;
}

const binary = process.argv[2] ?? (await currentBinary());
const server = await startServer([], { binary });
try {
  const { baseUrl } = server;
  await Bun.sleep(IDLE_SETTLE_MS);
  const idleRss = server.rssMiB();

  const names = [
    ...Array.from({ length: CROWD }, (_, i) => `crowd${i}`),
    ...Array.from({ length: ROOM_SENDERS }, (_, i) => `small${i}`),
    ...Array.from({ length: SYNCERS }, (_, i) => `syncer${i}`),
  ];
  const sessions = new Map<string, Session>();
  await inParallel(names, 4, async (n) => sessions.set(n, await register(baseUrl, n)));
  const crowd = names.slice(0, CROWD).map((n) => sessions.get(n)!);
  const small = names.slice(CROWD, CROWD + ROOM_SENDERS).map((n) => sessions.get(n)!);
  const syncers = names.slice(CROWD + ROOM_SENDERS).map((n) => sessions.get(n)!);

  const crowdRoom = await createRoom(baseUrl, crowd[0]!, crowd.slice(1), "crowd");
  const rooms: string[] = [];
  await inParallel(Array.from({ length: ROOMS }, (_, i) => i), 8, async (i) => {
    rooms.push(await createRoom(baseUrl, small[0]!, [...small.slice(1), ...syncers], `room ${i}`));
  });
  const afterSetupRss = server.rssMiB();
  const setupPeak = server.peakRssMiB();

  // The syncing users long-poll until the sends are over.
  let sending = true;
  let incrementalSyncs = 0;
  const polls = syncers.map(async (who) => {
    let since = (await call<{ next_batch: string }>(baseUrl, "GET", "/_matrix/client/v3/sync?timeout=0", who.access_token)).next_batch;
    while (sending) {
      const res = await call<{ next_batch: string }>(baseUrl, "GET", `/_matrix/client/v3/sync?since=${since}&timeout=1000`, who.access_token);
      since = res.next_batch;
      incrementalSyncs++;
    }
  });

  // Interleaved: every round, each crowd member sends once and each small room gets one message.
  const jobs: { who: Session; room: string }[] = [];
  for (let round = 0; round < Math.max(CROWD_MESSAGES_EACH, ROOM_MESSAGES_EACH * ROOM_SENDERS); round++) {
    if (round < CROWD_MESSAGES_EACH) for (const who of crowd) jobs.push({ who, room: crowdRoom });
    if (round < ROOM_MESSAGES_EACH * ROOM_SENDERS) for (const room of rooms) jobs.push({ who: small[round % ROOM_SENDERS]!, room });
  }
  const io0 = server.io();
  const cpu0 = server.cpuMs();
  const t0 = performance.now();
  await inParallel(jobs, CONCURRENCY, ({ who, room }) =>
    call(baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/l${++txn}`, who.access_token, {
      msgtype: "m.text",
      body: `load message ${txn}: the quick brown fox jumps over the lazy dog`,
    }),
  );
  const sendMs = performance.now() - t0;
  const cpuPerMessage = (server.cpuMs() - cpu0) / jobs.length;
  const io1 = server.io();
  const wal = walPages(join(server.dataDir, "conduit.db"));
  sending = false;
  await Promise.all(polls);
  const sendPeak = server.peakRssMiB();

  const initial: number[] = [];
  for (let i = 0; i < INITIAL_SYNCS_EACH; i++) {
    for (const who of syncers) {
      const s = performance.now();
      await call(baseUrl, "GET", "/_matrix/client/v3/sync", who.access_token);
      initial.push(performance.now() - s);
    }
  }
  initial.sort((a, b) => a - b);
  const peakRss = server.peakRssMiB();
  await Bun.sleep(IDLE_SETTLE_MS);
  const afterRss = server.rssMiB();

  const per = (key: keyof ProcessIo) => (io1[key] - io0[key]) / jobs.length;
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const row = (label: string, value: string) => console.log(`${label.padEnd(52)}${value}`);
  console.log(`${binary}: ${jobs.length} messages (${CROWD} senders in one room, ${ROOMS} rooms x ${ROOM_SENDERS} senders), ${SYNCERS} users syncing ${ROOMS} rooms`);
  row("idle resident memory after start", `${idleRss.toFixed(1)} MB   (target <= 40 MB)`);
  row("resident after registering and creating rooms", `${afterSetupRss.toFixed(1)} MB`);
  row("peak resident memory (VmHWM)", `${peakRss.toFixed(1)} MB   (target <= 100 MB)`);
  row("  peak by the end of: setup, sends, initial syncs", `${setupPeak.toFixed(1)}, ${sendPeak.toFixed(1)}, ${peakRss.toFixed(1)} MB`);
  row("resident 2 s after the load", `${afterRss.toFixed(1)} MB`);
  row("sends", `${(jobs.length / (sendMs / 1000)).toFixed(0)} /s, ${cpuPerMessage.toFixed(2)} ms CPU per message`);
  row("written to disk per message (write_bytes)", `${kb(per("write_bytes"))}   (target <= 10 KB)`);
  row("read from disk per message (read_bytes)", `${kb(per("read_bytes"))}`);
  row("handed to write() per message (wchar)", `${kb(per("wchar"))}, ${per("syscw").toFixed(1)} write calls`);
  row("read() per message (rchar)", `${kb(per("rchar"))}, ${per("syscr").toFixed(1)} read calls`);
  row("incremental syncs answered during the sends", `${incrementalSyncs}`);
  row(`initial sync, ${ROOMS} rooms (${initial.length} runs)`, `p50 ${percentile(initial, 50).toFixed(1)} ms, p99 ${percentile(initial, 99).toFixed(1)} ms`);
  console.log(`pages the sends wrote to the WAL, by b-tree (its last ${wal.commits} commits, ${(wal.frames / wal.commits).toFixed(0)} pages each):`);
  for (const [tree, frames] of [...wal.byTree].sort((a, b) => b[1] - a[1]).slice(0, 16)) {
    row(`  ${tree}`, `${((100 * frames) / wal.frames).toFixed(1)}%`);
  }
} finally {
  await server.stop();
}
