/**
 * The real server for HTTP benchmarks: `src/main.ts` as its own process on a free loopback port
 * with a temporary database (WAL + synchronous=FULL, as in production), rate limits and request
 * logging off; plus the few client calls the benchmarks make and a percentile helper.
 * `BENCH_PROFILE=1` runs the server with `--cpu-prof`. With `binary`, the compiled executable runs
 * instead (what an operator runs: its memory and start-up are the ones that count).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Session {
  user_id: string;
  access_token: string;
  device_id: string;
}

/** The process's I/O counters from `/proc/<pid>/io` (bytes): `write_bytes` is what reached the disk. */
export interface ProcessIo {
  rchar: number;
  wchar: number;
  syscr: number;
  syscw: number;
  read_bytes: number;
  write_bytes: number;
}

export function processIo(pid: number): ProcessIo {
  const io: Record<string, number> = {};
  for (const row of readFileSync(`/proc/${pid}/io`, "utf8").trim().split("\n")) {
    const [key, value] = row.split(": ");
    io[key!] = Number(value);
  }
  return io as unknown as ProcessIo;
}

/** A `/proc/<pid>/status` figure in MiB: `VmRSS` (resident now) or `VmHWM` (the peak so far). */
export function statusMiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb ?? 0) / 1024;
}

export interface BenchServer {
  baseUrl: string;
  pid: number;
  dataDir: string;
  /** The server process's resident memory in MiB (VmRSS). */
  rssMiB(): number;
  /** Its peak resident memory so far in MiB (VmHWM). */
  peakRssMiB(): number;
  io(): ProcessIo;
  /** CPU time (user + system) the server has used so far, in ms: a figure other load barely moves. */
  cpuMs(): number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  await probe.stop(true);
  return port;
}

export interface BenchServerOptions {
  /** Another checkout to run the server from (a baseline measured side by side); default this one. */
  root?: string;
  /** A compiled executable to run instead of `src/main.ts` under bun. */
  binary?: string;
}

/** `toml`: extra `[global]` lines (before the rate-limit table). */
export async function startServer(toml: string[] = [], opts: BenchServerOptions = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "conduit-bench-"));
  const port = await freePort();
  const config = join(dataDir, "conduit.toml");
  writeFileSync(
    config,
    [
      "[global]",
      'server_name = "localhost"',
      `database_path = "${dataDir}"`,
      'address = "127.0.0.1"',
      `port = ${port}`,
      "allow_registration = true",
      'log = "warn"',
      ...toml,
      "[global.rate_limits]",
      "enabled = false",
    ].join("\n"),
  );
  const command = opts.binary
    ? [opts.binary]
    : [process.execPath, ...(process.env.BENCH_PROFILE ? ["--cpu-prof"] : []), join(opts.root ?? join(import.meta.dir, ".."), "src", "main.ts")];
  const proc = Bun.spawn(command, {
    env: { PATH: process.env.PATH ?? "", CONDUIT_CONFIG: config },
    stdout: "ignore",
    stderr: "inherit",
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`${baseUrl}/_matrix/client/versions`)).ok) break;
    } catch {
      await Bun.sleep(100);
    }
  }
  return {
    baseUrl,
    pid: proc.pid,
    dataDir,
    rssMiB: () => statusMiB(proc.pid, "VmRSS"),
    peakRssMiB: () => statusMiB(proc.pid, "VmHWM"),
    io: () => processIo(proc.pid),
    cpuMs() {
      // utime and stime: fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 10 ms.
      const fields = readFileSync(`/proc/${proc.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function call<T>(baseUrl: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export async function register(baseUrl: string, username: string): Promise<Session> {
  const password = "bench password 1234";
  const first = await fetch(`${baseUrl}/_matrix/client/v3/register`, { method: "POST", body: JSON.stringify({ username, password }) });
  const { session } = (await first.json()) as { session: string };
  return call<Session>(baseUrl, "POST", "/_matrix/client/v3/register", undefined, {
    username,
    password,
    auth: { type: "m.login.dummy", session },
  });
}

/** The p-th percentile of an ascending list. */
export const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
