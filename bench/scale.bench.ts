/**
 * How costs grow with the database: the scale fixture (`scale-fixture.ts`) at 1x and at 10x, then
 * the compiled executable started on each, measured over HTTP: start-up to the first answer, idle
 * memory, a send into a big room and into a small one, an incremental and an initial /sync of a
 * user (who is in about as many rooms at both scales), /messages in a big room, and database bytes
 * per event. Flat costs show as ratios near 1 between the scales. `bun bench/scale.bench.ts
 * [SCALES...]` (default `1 10`); fixtures go to a temporary directory.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { currentBinary } from "./binary";
import { call, percentile, statusMiB } from "./bench-server";
import { buildFixture, type FixtureSummary } from "./scale-fixture";

const SAMPLES = 30;
const enc = encodeURIComponent;

async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  await probe.stop(true);
  return port;
}

async function timed(samples: number, run: (i: number) => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await run(i);
    ms.push(performance.now() - t0);
  }
  return percentile(ms.sort((a, b) => a - b), 50);
}

interface Figures {
  events: number;
  bytesPerEvent: number;
  startMs: number;
  idleMiB: number;
  sendBigMs: number;
  sendSmallMs: number;
  incrementalMs: number;
  initialMs: number;
  messagesMs: number;
}

async function measure(binary: string, dir: string, fixture: FixtureSummary): Promise<Figures> {
  const port = await freePort();
  const config = join(dir, "conduit.toml");
  writeFileSync(config, `[global]\nserver_name = "localhost"\ndatabase_path = "${dir}"\naddress = "127.0.0.1"\nport = ${port}\nlog = "warn"\n[global.rate_limits]\nenabled = false\n`);
  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const proc = Bun.spawn([binary, "--config", config], { stdout: "ignore", stderr: "inherit" });
  try {
    while (!(await fetch(`${base}/_matrix/client/versions`).then((r) => r.ok, () => false))) await Bun.sleep(2);
    const startMs = performance.now() - t0;
    await Bun.sleep(1_000);
    const idleMiB = statusMiB(proc.pid, "VmRSS");
    const [big] = fixture.bigRooms;
    const [userId, token] = Object.entries(fixture.tokens)[1]!;
    const rooms = Object.keys((await call<{ rooms: { join: Record<string, unknown> } }>(base, "GET", "/_matrix/client/v3/sync", token)).rooms.join);
    const small = rooms.find((r) => !fixture.bigRooms.includes(r))!;
    let txn = 0;
    const send = (room: string) =>
      call(base, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/s${++txn}`, token, { msgtype: "m.text", body: `scale ${txn}` });
    const sendBigMs = await timed(SAMPLES, () => send(big!));
    const sendSmallMs = await timed(SAMPLES, () => send(small));
    let since = (await call<{ next_batch: string }>(base, "GET", "/_matrix/client/v3/sync?timeout=0", token)).next_batch;
    const incrementalMs = await timed(SAMPLES, async () => {
      await send(small);
      since = (await call<{ next_batch: string }>(base, "GET", `/_matrix/client/v3/sync?since=${since}&timeout=0`, token)).next_batch;
    });
    const initialMs = await timed(10, () => call(base, "GET", "/_matrix/client/v3/sync", token));
    const messagesMs = await timed(SAMPLES, () => call(base, "GET", `/_matrix/client/v3/rooms/${enc(big!)}/messages?dir=b&limit=20`, token));
    void userId;
    const bytes = statSync(join(dir, "conduit.db")).size;
    return { events: fixture.events, bytesPerEvent: bytes / fixture.events, startMs, idleMiB, sendBigMs, sendSmallMs, incrementalMs, initialMs, messagesMs };
  } finally {
    proc.kill();
    await proc.exited;
  }
}

const binary = await currentBinary();
const scales = process.argv.slice(2).map(Number);
if (scales.length === 0) scales.push(1, 10);
const results: [number, Figures][] = [];
for (const scale of scales) {
  const dir = mkdtempSync(join(tmpdir(), `conduit-scale-${scale}x-`));
  try {
    const t0 = performance.now();
    const fixture = await buildFixture(dir, scale);
    console.log(`${scale}x: ${fixture.users} users, ${fixture.rooms} rooms, ${fixture.events} events (built in ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    results.push([scale, await measure(binary, dir, fixture)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const rows: [string, keyof Figures, string][] = [
  ["events", "events", ""],
  ["database bytes per event", "bytesPerEvent", "B"],
  ["start-up to the first answer", "startMs", "ms"],
  ["idle resident memory", "idleMiB", "MB"],
  ["send, big room (p50)", "sendBigMs", "ms"],
  ["send, small room (p50)", "sendSmallMs", "ms"],
  ["incremental sync after a send (p50)", "incrementalMs", "ms"],
  ["initial sync (p50)", "initialMs", "ms"],
  ["/messages, big room, 20 events (p50)", "messagesMs", "ms"],
];
console.log(`${"".padEnd(40)}${results.map(([s]) => `${s}x`.padStart(12)).join("")}${results.length > 1 ? "   last/first" : ""}`);
for (const [label, key, unit] of rows) {
  const values = results.map(([, f]) => f[key]);
  const cells = values.map((v) => `${v < 100 ? v.toFixed(2) : v.toFixed(0)} ${unit}`.padStart(12)).join("");
  console.log(`${label.padEnd(40)}${cells}${values.length > 1 ? `   ${(values.at(-1)! / values[0]!).toFixed(2)}` : ""}`);
}
