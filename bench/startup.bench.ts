/**
 * Start-up of the compiled executable: time from exec to the first answered
 * `GET /_matrix/client/versions` (target <= 300 ms), on a fresh data directory (database created,
 * migrations applied, signing key generated) and on an existing one; then the resident memory of
 * an idle server after start (VmRSS from /proc, target <= 60 MB). Builds `dist/conduit` first
 * unless it is newer than every source file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { currentBinary } from "./binary";
import { statusMiB } from "./bench-server";

const RUNS = 10;

function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

interface Started {
  ms: number;
  proc: ReturnType<typeof Bun.spawn>;
}

/** Execs the binary and polls /versions until it answers 200. */
async function startAndTime(dataDir: string): Promise<Started> {
  const port = freePort();
  mkdirSync(dataDir, { recursive: true });
  const config = join(dataDir, "conduit.toml");
  writeFileSync(config, `[global]\nserver_name = "bench.local"\ndatabase_path = "${dataDir}"\nport = ${port}\n`);
  const url = `http://127.0.0.1:${port}/_matrix/client/versions`;
  const t0 = performance.now();
  const proc = Bun.spawn([binary, "--config", config], { stdout: "ignore", stderr: "inherit" });
  for (;;) {
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return { ms: performance.now() - t0, proc };
    if (proc.exitCode !== null) throw new Error(`conduit exited with ${proc.exitCode}`);
    if (performance.now() - t0 > 10_000) throw new Error("conduit did not answer within 10 s");
    await Bun.sleep(1);
  }
}

const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const binary = await currentBinary();

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

  console.log(`exec -> first answered /versions, median of ${RUNS}:`);
  console.log(`  fresh data directory     ${median(fresh).toFixed(0).padStart(5)} ms   (target <= 300 ms)`);
  console.log(`  existing data directory  ${median(existing).toFixed(0).padStart(5)} ms`);
  console.log(`idle resident memory        ${rss.toFixed(1).padStart(5)} MB   (target <= 60 MB)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
