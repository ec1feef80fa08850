/**
 * Application service transaction throughput, over real HTTP against a real server process, to one
 * appservice (a loopback HTTP server in this process that counts what it is sent):
 *   1. live: messages sent by clients into 4 rooms where the appservice has a puppet, events/s from
 *      the first send until the appservice holds every one;
 *   2. backlog: the same number queued while the appservice answers 503, then drained after it
 *      pings: events/s of delivery alone (transactions of up to 100 events);
 *   3. the send rate of the same clients with and without the appservice, in alternating rounds
 *      (what queueing and delivering for it costs the sender): rooms with the puppet, and rooms
 *      with a plain local user in its place on a server without appservices.
 * Run alone: `bun bench/appservices.bench.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { call, register, startServer, type BenchServer, type Session } from "./bench-server.ts";
import { compare, report } from "./measure.ts";

const EVENTS = 3_000;
const WARM_UP = 300;
const ROUNDS = 6;
const ROOMS = 4;
const CONCURRENCY = 8;
const enc = encodeURIComponent;

/** The appservice: counts events of accepted transactions; `status` decides the answer. */
function countingAppservice() {
  const seen = new Set<string>();
  let transactions = 0;
  let waiter: { n: number; resolve: () => void } | undefined;
  const state = { status: 200 };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (req.method === "PUT" && path.startsWith("/_matrix/app/v1/transactions/")) {
        const body = (await req.json()) as { events: { event_id: string; type: string }[] };
        if (state.status !== 200) return Response.json({}, { status: state.status });
        transactions++;
        for (const e of body.events) if (e.type === "m.room.message") seen.add(e.event_id);
        if (waiter && seen.size >= waiter.n) waiter.resolve();
        return Response.json({});
      }
      return Response.json({});
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    state,
    seen,
    transactions: () => transactions,
    /** Resolves once `n` messages were accepted. */
    until(n: number): Promise<void> {
      if (seen.size >= n) return Promise.resolve();
      return new Promise((resolve) => (waiter = { n, resolve }));
    },
    stop: () => server.stop(true),
  };
}

interface Setup {
  server: BenchServer;
  senders: Session[];
  rooms: string[];
}

async function setUp(toml: string[], withPuppet: boolean): Promise<Setup> {
  const server = await startServer(toml);
  const senders = await Promise.all(Array.from({ length: ROOMS }, (_, i) => register(server.baseUrl, `sender${i}`)));
  const rooms: string[] = [];
  // Each room has a second local member: the appservice's puppet, or (the baseline) a plain user.
  const member = withPuppet
    ? (await call(server.baseUrl, "POST", "/_matrix/client/v3/register", "as-bench", { type: "m.login.application_service", username: "bench_puppet", inhibit_login: true }), undefined)
    : await register(server.baseUrl, "listener");
  for (const sender of senders) {
    const { room_id } = await call<{ room_id: string }>(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", sender.access_token, { preset: "public_chat" });
    if (member) await call(server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(room_id)}`, member.access_token, {});
    else await call(server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(room_id)}?user_id=${enc("@bench_puppet:localhost")}`, "as-bench", {});
    rooms.push(room_id);
  }
  return { server, senders, rooms };
}

let txn = 0;
/** Sends `n` messages across the rooms, `CONCURRENCY` at a time; returns sends/s. */
async function sendAll({ server, senders, rooms }: Setup, n: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const r = i % rooms.length;
        await call(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(rooms[r]!)}/send/m.room.message/b${++txn}`, senders[r]!.access_token, {
          msgtype: "m.text",
          body: `bench message ${i}`,
        });
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

const dir = mkdtempSync(join(tmpdir(), "conduit-as-bench-"));
const as = countingAppservice();
const registration = join(dir, "bench.yaml");
writeFileSync(
  registration,
  [
    "id: bench",
    `url: ${JSON.stringify(as.url)}`,
    "as_token: as-bench",
    "hs_token: hs-bench",
    "sender_localpart: benchbot",
    "rate_limited: false",
    "namespaces:",
    "  users:",
    "    - exclusive: true",
    "      regex: '@bench_.*'",
    "",
  ].join("\n"),
);
const toml = [`app_service_config_files = [${JSON.stringify(registration)}]`];

try {
  const withAs = await setUp(toml, true);
  try {
    await sendAll(withAs, WARM_UP);
    await as.until(WARM_UP);
    // 1. live
    const t0 = performance.now();
    await sendAll(withAs, EVENTS);
    await as.until(WARM_UP + EVENTS);
    const live = EVENTS / ((performance.now() - t0) / 1000);
    report("live: events/s to one appservice (send to receipt)", live);

    // 2. backlog
    as.state.status = 503;
    await sendAll(withAs, EVENTS);
    as.state.status = 200;
    const before = as.transactions();
    const t1 = performance.now();
    await call(withAs.server.baseUrl, "POST", "/_matrix/client/v1/appservice/bench/ping", "as-bench", {});
    await as.until(WARM_UP + 2 * EVENTS);
    const backlog = EVENTS / ((performance.now() - t1) / 1000);
    report("backlog: events/s delivered after a ping", backlog, `${as.transactions() - before} transactions`);

    // 3. the sender's side, with and without the appservice, in alternating rounds (the machine's
    // other load falls on both alike)
    const without = await setUp([], false);
    try {
      await sendAll(without, WARM_UP);
      const rates = { with: [] as number[], without: [] as number[] };
      const cpu = { with: 0, without: 0 };
      const round = async (setup: Setup, key: "with" | "without") => {
        const before = setup.server.cpuMs();
        rates[key].push(await sendAll(setup, EVENTS / ROUNDS));
        cpu[key] += setup.server.cpuMs() - before;
      };
      for (let i = 0; i < ROUNDS; i++) {
        await round(without, "without");
        await round(withAs, "with");
      }
      await as.until(WARM_UP + 3 * EVENTS);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      compare("sends/s, 4 rooms of 2 local members, 8 clients", ["no appservice", mean(rates.without)], ["one is a puppet", mean(rates.with)]);
      // Server CPU per send (the worker's included) moves less with the machine's other load than throughput.
      const perSend = (ms: number) => `${(ms / EVENTS).toFixed(3)} ms`;
      console.log(`server CPU per send: ${perSend(cpu.without)} without, ${perSend(cpu.with)} with the appservice`);
    } finally {
      await without.server.stop();
    }
  } finally {
    await withAs.server.stop();
  }
} finally {
  as.stop();
  rmSync(dir, { recursive: true, force: true });
}
