/**
 * Federation between two real instances over TLS on loopback (test CA): events/s delivered from one
 * instance to the other in one room, messages sent on A by concurrent clients, counted as they land
 * in B's database. Joining big rooms over federation is bench/big-join.bench.ts.
 */
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { api, registerUser, trustTestCa } from "../test/helpers/client.ts";
import { sharedRoom } from "../test/helpers/federated-rooms.ts";
import { startFederatedServer, type FederatedServer } from "../test/helpers/federation.ts";
import { createTestCa } from "../test/helpers/tls.ts";

const MESSAGES = 2_000;
const SENDERS = 20;

const ca = createTestCa();
const setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
trustTestCa(ca.caCert);
// The harness reads the start-up line, so logging stays at info (one line per request).
const quiet = {};

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

try {
  await throughput();
} finally {
  ca.remove();
}
