/**
 * Message send throughput over real HTTP against a real server process (rate limits off, request
 * logging off, a temporary database with WAL + synchronous=FULL):
 *   1. 50 concurrent clients sending into ONE room (the room queue serialises them into one DAG);
 *   2. 100 rooms with 5 members each, every member sending concurrently.
 * Reports events/s, the p50/p99 latency of a send, and the server's CPU time per event (which other
 * load on the machine barely moves). Run alone: `bun bench/rooms.bench.ts`.
 */
import { call, percentile, register, startServer, type Session } from "./bench-server.ts";

const SENDS_PER_CLIENT_ONE_ROOM = 60;
const SENDS_PER_CLIENT_MANY_ROOMS = 8;

/** Runs every client loop at once; each loop sends `sends` messages one after another. */
async function measure(label: string, baseUrl: string, clients: Array<{ who: Session; roomId: string }>, sends: number): Promise<void> {
  const latencies: number[] = [];
  let txn = 0;
  const cpuBefore = server.cpuMs();
  const start = performance.now();
  await Promise.all(
    clients.map(async ({ who, roomId }) => {
      for (let i = 0; i < sends; i++) {
        const t0 = performance.now();
        await call(baseUrl, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${++txn}`, who.access_token, {
          msgtype: "m.text",
          body: `message ${i} from ${who.user_id}`,
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const serverCpuPerEvent = ((server.cpuMs() - cpuBefore) * 1000) / (clients.length * sends);
  latencies.sort((a, b) => a - b);
  const total = clients.length * sends;
  console.log(
    `${label.padEnd(44)}${Math.round(total / seconds).toLocaleString("en-US").padStart(8)} events/s` +
      `   p50 ${percentile(latencies, 50).toFixed(1)} ms   p99 ${percentile(latencies, 99).toFixed(1)} ms` +
      `   server CPU ${Math.round(serverCpuPerEvent)} µs/event   (${total} events)`,
  );
}

const server = await startServer();
try {
  const { baseUrl } = server;
  const users = await Promise.all(Array.from({ length: 50 }, (_, i) => register(baseUrl, `bench${i}`)));
  const owner = users[0]!;

  // 1. One room, 50 concurrent senders.
  const { room_id: shared } = await call<{ room_id: string }>(baseUrl, "POST", "/_matrix/client/v3/createRoom", owner.access_token, {
    preset: "public_chat",
  });
  for (const u of users.slice(1)) await call(baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(shared)}`, u.access_token, {});
  await measure("1 room, 50 concurrent senders", baseUrl, users.map((who) => ({ who, roomId: shared })), SENDS_PER_CLIENT_ONE_ROOM);

  // 2. 100 rooms with 5 members each, every member sending at once.
  const clients: Array<{ who: Session; roomId: string }> = [];
  for (let r = 0; r < 100; r++) {
    const members = Array.from({ length: 5 }, (_, k) => users[(r * 5 + k) % users.length]!);
    const { room_id } = await call<{ room_id: string }>(baseUrl, "POST", "/_matrix/client/v3/createRoom", members[0]!.access_token, {
      preset: "public_chat",
    });
    for (const m of members.slice(1)) await call(baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(room_id)}`, m.access_token, {});
    for (const who of members) clients.push({ who, roomId: room_id });
  }
  await measure("100 rooms x 5 members, 500 concurrent senders", baseUrl, clients, SENDS_PER_CLIENT_MANY_ROOMS);
} finally {
  await server.stop();
}
