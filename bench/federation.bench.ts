/**
 * Federation between two real instances over TLS on loopback (test CA):
 *   1. events/s delivered from one instance to the other in one room: messages sent on A by
 *      concurrent clients, counted as they land in B's database;
 *   2. joining a room hosted on the other instance whose state has 10,000 members: the time of
 *      the client's /join on B (make_join, send_join, checking and storing state and auth chain)
 *      and B's peak resident memory. Target: under 10 s.
 * Run alone: `bun bench/federation.bench.ts` (`--throughput-only` skips the join, whose set-up of
 * 10,000 members takes a while).
 */
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { api, registerUser, trustTestCa } from "../test/helpers/client.ts";
import { createRoom, sharedRoom } from "../test/helpers/federated-rooms.ts";
import { startFederatedServer, startInProcessServer, type FederatedServer } from "../test/helpers/federation.ts";
import { createTestCa } from "../test/helpers/tls.ts";

const MESSAGES = 2_000;
const SENDERS = 20;
const MEMBERS = 10_000;

const ca = createTestCa();
const setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
trustTestCa(ca.caCert);
// The harness reads the start-up line, so logging stays at info (one line per request).
const quiet = {};

function peakMiB(server: FederatedServer): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.proc.pid}/status`, "utf8"))?.[1];
  return Number(kb ?? 0) / 1024;
}

/** Counts a room's messages in a server's database (read-only, beside the running server). */
function messageCounter(server: FederatedServer, roomId: string): () => number {
  const db = new Database(join(server.dataDir, "conduit.db"), { readonly: true });
  const count = db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM events WHERE room_id = ? AND type = 'm.room.message'");
  return () => count.get(roomId)!.n;
}

async function throughput(): Promise<void> {
  const [a, b] = await Promise.all([startFederatedServer(setup, quiet), startFederatedServer(setup, quiet)]);
  try {
    const [alice, bob] = await Promise.all([registerUser(a.baseUrl, "alice"), registerUser(b.baseUrl, "bob")]);
    const roomId = await sharedRoom(a, alice, b, bob);
    const onB = messageCounter(b, roomId);
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < MESSAGES) {
          const i = next++;
          await api(a.baseUrl, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/f${i}`, {
            token: alice.access_token,
            body: { msgtype: "m.text", body: `message ${i}` },
          });
        }
      }),
    );
    const sentAt = performance.now();
    while (onB() < MESSAGES) await Bun.sleep(5);
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `A -> B, one room, ${SENDERS} senders`.padEnd(44) +
        `${Math.round(MESSAGES / seconds).toLocaleString("en-US").padStart(8)} events/s delivered` +
        `   (sent in ${((sentAt - start) / 1000).toFixed(2)} s, all on B after ${seconds.toFixed(2)} s, ${MESSAGES} events)`,
    );
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

async function bigJoin(): Promise<void> {
  // The host is in this process, so the 10,000 members can join through its services directly.
  const host = await startInProcessServer(setup);
  const b = await startFederatedServer(setup, quiet);
  try {
    const owner = await registerUser(host.baseUrl, "owner");
    const roomId = await createRoom(host, owner, { preset: "public_chat", name: "big" });
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: MEMBERS }, (_, i) =>
        host.services.rooms.send.send(roomId, {
          type: "m.room.member",
          state_key: `@member${i}:${host.serverName}`,
          sender: `@member${i}:${host.serverName}`,
          content: { membership: "join", displayname: `Member ${i}` },
        }),
      ),
    );
    console.log(`(setup: ${MEMBERS} members joined on the host in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const joiner = await registerUser(b.baseUrl, "joiner");
    const rssBefore = peakMiB(b);
    const start = performance.now();
    const res = await api(b.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(host.serverName)}`, {
      token: joiner.access_token,
      body: {},
    });
    const seconds = (performance.now() - start) / 1000;
    if (res.status !== 200) throw new Error(`join failed: ${res.status} ${JSON.stringify(res.body)}`);
    console.log(
      `join a room of ${MEMBERS.toLocaleString("en-US")} members on the other server`.padEnd(44) +
        `${seconds.toFixed(2).padStart(8)} s` +
        `   peak memory of the joining server ${Math.round(peakMiB(b))} MiB (${Math.round(rssBefore)} MiB before)` +
        `   target < 10 s: ${seconds < 10 ? "met" : "MISSED"}`,
    );
  } finally {
    await b.stop();
    await host.close();
  }
}

try {
  await throughput();
  if (process.argv[2] !== "--throughput-only") await bigJoin();
} finally {
  ca.remove();
}
