/**
 * The real server for HTTP benchmarks: `src/main.ts` as its own process on a free loopback port
 * with a temporary database (WAL + synchronous=FULL, as in production), rate limits and request
 * logging off; plus the few client calls the benchmarks make and a percentile helper.
 * `BENCH_PROFILE=1` runs the server with `--cpu-prof`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Session {
  user_id: string;
  access_token: string;
  device_id: string;
}

export interface BenchServer {
  baseUrl: string;
  pid: number;
  /** The server process's resident memory in MiB (VmRSS). */
  rssMiB(): number;
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
  const proc = Bun.spawn([process.execPath, ...(process.env.BENCH_PROFILE ? ["--cpu-prof"] : []), join(opts.root ?? join(import.meta.dir, ".."), "src", "main.ts")], {
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
    rssMiB() {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1];
      return Number(kb ?? 0) / 1024;
    },
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
