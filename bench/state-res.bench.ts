/**
 * State resolution on two forks of a synthetic room (shared members, then bans, kicks, leaves,
 * joins, power levels and a join rules change on either side) at 10,000 and 100,000 state
 * events, under v2.1 (room 12) and v2.0 (room 11): time on this thread and through the worker
 * pool, CPU time, and memory (the kernel's peak RSS of the process, so nothing between two samples
 * is missed). Each case runs in its own process so one case's garbage and peak do not colour the
 * next. `bun bench/state-res.bench.ts`.
 */
import { resolveStateSync } from "../src/core/state-res/resolve-state.ts";
import { createStateResPool } from "../src/workers/state-res/pool.ts";
import { buildForkedRoom } from "../test/helpers/synthetic-room.ts";

const SIZES = [10_000, 100_000];
const VERSIONS = ["12", "11"];

interface CaseResult {
  size: number;
  version: string;
  events: number;
  forkSizes: [number, number];
  resolvedSize: number;
  directMs: number;
  directCpuMs: number;
  poolMs: number;
  rssBeforeMb: number;
  directPeakRssMb: number;
  poolPeakRssMb: number;
}

const mb = (bytes: number) => bytes / 1024 / 1024;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function runCase(size: number, version: string): Promise<CaseResult> {
  const room = buildForkedRoom(size, version);
  const runs = size >= 100_000 ? 3 : 7;
  Bun.gc(true);
  const rssBefore = process.memoryUsage().rss;

  let resolvedSize = resolveStateSync(room.roomVersion, room.forks, room.fetchEvent).length; // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    Bun.gc(true);
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    resolvedSize = resolveStateSync(room.roomVersion, room.forks, room.fetchEvent).length;
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  // The process's peak so far (KiB): building the room peaks lower than resolving it does.
  const directPeak = process.resourceUsage().maxRSS * 1024;

  // Through the pool: the main thread gathers and streams, a worker resolves; RSS (the whole
  // process, workers included) is sampled meanwhile.
  const pool = createStateResPool({ size: 1 });
  let poolPeak = 0;
  const sampler = setInterval(() => (poolPeak = Math.max(poolPeak, process.memoryUsage().rss)), 5);
  await pool.resolveState(room.roomVersion, room.forks, room.fetchEvent); // warm-up
  const poolWall: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await pool.resolveState(room.roomVersion, room.forks, room.fetchEvent);
    poolWall.push(performance.now() - start);
  }
  clearInterval(sampler);
  pool.close();

  return {
    size,
    version,
    events: room.events.size,
    forkSizes: [room.forks[0].length, room.forks[1].length],
    resolvedSize,
    directMs: median(wall),
    directCpuMs: median(cpu),
    poolMs: median(poolWall),
    rssBeforeMb: mb(rssBefore),
    directPeakRssMb: mb(directPeak),
    poolPeakRssMb: mb(poolPeak),
  };
}

if (process.argv[2] === "--case") {
  const result = await runCase(Number(process.argv[3]), process.argv[4]!);
  console.log(JSON.stringify(result));
  process.exit(0);
}

const results: CaseResult[] = [];
for (const version of VERSIONS) {
  for (const size of SIZES) {
    const child = Bun.spawn([process.execPath, import.meta.path, "--case", String(size), version], { stdout: "pipe", stderr: "inherit" });
    const output = await new Response(child.stdout).text();
    if ((await child.exited) !== 0) throw new Error(`case ${size}/${version} failed`);
    const result = JSON.parse(output.trim().split("\n").pop()!) as CaseResult;
    results.push(result);
    const algorithm = version === "12" ? "v2.1" : "v2.0";
    console.log(
      `state res ${algorithm} (room ${version}), ${size.toLocaleString("en-US")} state events per fork ` +
        `(${result.events.toLocaleString("en-US")} events, forks ${result.forkSizes.join("/")}, resolved ${result.resolvedSize}):`,
    );
    console.log(
      `  direct ${result.directMs.toFixed(0)} ms (cpu ${result.directCpuMs.toFixed(0)} ms), pool ${result.poolMs.toFixed(0)} ms; ` +
        `RSS ${result.rssBeforeMb.toFixed(0)} MB with the room loaded, peak ${result.directPeakRssMb.toFixed(0)} MB direct ` +
        `(+${(result.directPeakRssMb - result.rssBeforeMb).toFixed(0)} MB), ${result.poolPeakRssMb.toFixed(0)} MB with the pool`,
    );
  }
}
for (const version of VERSIONS) {
  const [small, large] = SIZES.map((size) => results.find((r) => r.size === size && r.version === version)!);
  const factor = large!.size / small!.size;
  const extra = (r: CaseResult) => r.directPeakRssMb - r.rssBeforeMb;
  console.log(
    `room ${version}: ${factor}x the state costs ${(large!.directCpuMs / small!.directCpuMs).toFixed(1)}x the CPU time ` +
      `and ${(extra(large!) / extra(small!)).toFixed(1)}x the memory above the loaded room (linear: ${factor}x)`,
  );
}
