/**
 * What the opt-in Prometheus metrics cost on the send path: two server processes side by side,
 * one without `[global.metrics]` and one with it, the same send load (20 concurrent senders in
 * one room) on each in three interleaved rounds. Reports events/s and the server's CPU per event
 * of each, their ratio, and the size and time of a scrape after the load.
 */
import { call, register, startServer, type BenchServer, type Session } from "./bench-server.ts";

const SENDERS = 20;
const SENDS_PER_SENDER = 40;
const ROUNDS = 3;

interface Side {
  label: string;
  server: BenchServer;
  users: Session[];
  roomId: string;
  rates: number[];
  cpu: number[];
}

async function prepare(label: string, toml: string[]): Promise<Side> {
  const server = await startServer(toml);
  const users = await Promise.all(Array.from({ length: SENDERS }, (_, i) => register(server.baseUrl, `m${i}`)));
  const { room_id } = await call<{ room_id: string }>(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", users[0]!.access_token, { preset: "public_chat" });
  for (const u of users.slice(1)) await call(server.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(room_id)}`, u.access_token, {});
  return { label, server, users, roomId: room_id, rates: [], cpu: [] };
}

let txn = 0;
async function round(side: Side): Promise<void> {
  const cpuBefore = side.server.cpuMs();
  const start = performance.now();
  await Promise.all(
    side.users.map(async (who) => {
      for (let i = 0; i < SENDS_PER_SENDER; i++) {
        await call(side.server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(side.roomId)}/send/m.room.message/t${++txn}`, who.access_token, {
          msgtype: "m.text",
          body: `message ${i}`,
        });
      }
    }),
  );
  const events = SENDERS * SENDS_PER_SENDER;
  side.rates.push(events / ((performance.now() - start) / 1000));
  side.cpu.push(((side.server.cpuMs() - cpuBefore) * 1000) / events);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
const metricsPort = probe.port!;
await probe.stop(true);
const off = await prepare("metrics off", []);
const on = await prepare("metrics on", ["[global.metrics]", 'address = "127.0.0.1"', `port = ${metricsPort}`]);
try {
  for (let r = 0; r < ROUNDS; r++) for (const side of r % 2 === 0 ? [off, on] : [on, off]) await round(side);
  for (const side of [off, on]) {
    console.log(
      `${`send, ${SENDERS} senders in one room, ${side.label}`.padEnd(50)}${Math.round(median(side.rates)).toLocaleString("en-US").padStart(7)} events/s` +
        `   server CPU ${Math.round(median(side.cpu))} µs/event   (median of ${ROUNDS} rounds: ${side.rates.map((x) => Math.round(x)).join(", ")})`,
    );
  }
  console.log(
    `ratio on/off: throughput ${(median(on.rates) / median(off.rates)).toFixed(2)}, CPU per event ${(median(on.cpu) / median(off.cpu)).toFixed(2)}`,
  );
  const t0 = performance.now();
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  console.log(`one scrape after the load: ${(text.length / 1024).toFixed(1)} KB, ${text.split("\n").length} lines, ${(performance.now() - t0).toFixed(1)} ms`);
} finally {
  await off.server.stop();
  await on.server.stop();
}
