/**
 * Start-up of the compiled executable: time from exec to the first answered
 * `GET /_matrix/client/versions` (target <= 300 ms), on a fresh data directory (database created,
 * migrations applied, signing key generated) and on an existing one; then the resident memory of
 * an idle server after start (VmRSS from /proc, target <= 60 MB); then on a database of 1 GB
 * (target < 1 s to the first answer, whatever the size): after a clean stop, and after `kill -9`
 * (when the full integrity check is owed, which runs in the background: how long it took is read
 * from the server's log). Builds `dist/conduit` first unless it is newer than every source file;
 * `bun bench/startup.bench.ts [binary]` measures another executable (a baseline).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { currentBinary } from "./binary";
import { statusMiB } from "./bench-server";
import { openDatabase } from "../src/storage";
import { closeDatabase } from "../src/storage/db";

const RUNS = 10;
const LARGE_RUNS = 3;
const LARGE_BYTES = 1024 ** 3;

function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

interface Started {
  ms: number;
  proc: ReturnType<typeof Bun.spawn>;
  /** Resolves at the first log line (stdout or stderr) that contains the text. */
  logged(text: string): Promise<number>;
  /** Whether a line seen so far contains the text. */
  seen(text: string): boolean;
}

/** Collects the lines of both log streams, so the bench can wait for one. */
function watchLog(proc: ReturnType<typeof Bun.spawn>): Pick<Started, "logged" | "seen"> {
  const lines: string[] = [];
  const waiters: { text: string; resolve: (at: number) => void }[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      const parts = pending.split("\n");
      pending = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        for (const w of waiters.filter((w) => line.includes(w.text))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(performance.now());
        }
      }
    }
  };
  void collect(proc.stdout as ReadableStream<Uint8Array>);
  void collect(proc.stderr as ReadableStream<Uint8Array>);
  return {
    seen: (text) => lines.some((l) => l.includes(text)),
    logged: (text) => new Promise((resolve) => waiters.push({ text, resolve })),
  };
}

/** Execs the binary and polls /versions until it answers 200. */
async function startAndTime(dataDir: string): Promise<Started> {
  const port = freePort();
  mkdirSync(dataDir, { recursive: true });
  const config = join(dataDir, "conduit.toml");
  writeFileSync(config, `[global]\nserver_name = "bench.local"\ndatabase_path = "${dataDir}"\nport = ${port}\n`);
  const url = `http://127.0.0.1:${port}/_matrix/client/versions`;
  const t0 = performance.now();
  const proc = Bun.spawn([binary, "--config", config], { stdout: "pipe", stderr: "pipe" });
  const log = watchLog(proc);
  for (;;) {
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return { ms: performance.now() - t0, proc, ...log };
    if (proc.exitCode !== null) throw new Error(`conduit exited with ${proc.exitCode}`);
    if (performance.now() - t0 > 300_000) throw new Error("conduit did not answer within 5 minutes");
    await Bun.sleep(1);
  }
}

const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A conduit database of about `bytes` (schema migrated by `openDatabase`): a filler table of
 * 3 KB rows with an index, which an integrity check reads like any other table.
 */
function largeDatabase(dataDir: string, bytes: number): void {
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(join(dataDir, "conduit.db"));
  db.run("CREATE TABLE bench_filler (id INTEGER PRIMARY KEY, tag TEXT NOT NULL, body BLOB NOT NULL)");
  db.run("CREATE INDEX bench_filler_tag ON bench_filler (tag)");
  const insert = db.prepare("INSERT INTO bench_filler (tag, body) VALUES (?, randomblob(3000))");
  const rows = Math.ceil(bytes / 4096); // one row a page
  for (let done = 0; done < rows; done += 10_000) {
    db.transaction(() => {
      for (let i = done; i < Math.min(rows, done + 10_000); i++) insert.run(`tag-${(i * 7919) % rows}`);
    })();
  }
  closeDatabase(db);
}

const binary = process.argv[2] ?? (await currentBinary());

const dir = mkdtempSync(join(tmpdir(), "conduit-bench-start-"));
try {
  const fresh: number[] = [];
  const existing: number[] = [];
  const kept = join(dir, "kept");
  for (let i = 0; i < RUNS; i++) {
    const first = await startAndTime(join(dir, `fresh-${i}`));
    fresh.push(first.ms);
    first.proc.kill();
    await first.proc.exited;
  }
  for (let i = 0; i < RUNS; i++) {
    const again = await startAndTime(kept); // the first of these creates it; the rest reopen it
    if (i > 0) existing.push(again.ms);
    again.proc.kill();
    await again.proc.exited;
  }
  const idle = await startAndTime(kept);
  await Bun.sleep(1_000);
  const rss = statusMiB(idle.proc.pid, "VmRSS");
  idle.proc.kill();
  await idle.proc.exited;

  const large = join(dir, "large");
  const buildStart = performance.now();
  largeDatabase(large, LARGE_BYTES);
  const largeBytes = Bun.file(join(large, "conduit.db")).size;
  console.log(`(built a ${(largeBytes / 1024 ** 2).toFixed(0)} MB database in ${((performance.now() - buildStart) / 1000).toFixed(0)} s)`);
  const largeClean: number[] = [];
  const largeCrash: number[] = [];
  const checks: number[] = [];
  for (let i = 0; i < LARGE_RUNS; i++) {
    const clean = await startAndTime(large);
    largeClean.push(clean.ms);
    clean.proc.kill();
    await clean.proc.exited;
    // Killed with SIGKILL, so the next start owes the full check.
    const crashed = await startAndTime(large);
    crashed.proc.kill("SIGKILL");
    await crashed.proc.exited;
    const t0 = performance.now();
    const after = await startAndTime(large);
    largeCrash.push(after.ms);
    // The start-up warning is written before the server answers; a server without it owes no check.
    const checked = after.logged("integrity check passed");
    await Bun.sleep(200);
    checks.push(after.seen("did not shut down cleanly") ? (await checked) - t0 : NaN);
    after.proc.kill();
    await after.proc.exited;
  }

  console.log(`exec -> first answered /versions, median of ${RUNS}:`);
  console.log(`  fresh data directory     ${median(fresh).toFixed(0).padStart(5)} ms   (target <= 300 ms)`);
  console.log(`  existing data directory  ${median(existing).toFixed(0).padStart(5)} ms`);
  console.log(`idle resident memory        ${rss.toFixed(1).padStart(5)} MB   (target <= 60 MB)`);
  console.log(`exec -> first answered /versions on a ${(largeBytes / 1024 ** 3).toFixed(2)} GB database, median of ${LARGE_RUNS}:`);
  console.log(`  after a clean stop       ${median(largeClean).toFixed(0).padStart(5)} ms   (target < 1000 ms)`);
  console.log(`  after kill -9            ${median(largeCrash).toFixed(0).padStart(5)} ms   (target < 1000 ms)`);
  console.log(`  background integrity check done after ${median(checks).toFixed(0)} ms (NaN: this server logs no such check)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
