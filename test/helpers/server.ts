/**
 * Starts the real server as a child process (`bun src/main.ts`) on a free port with a temporary
 * database directory, and stops it afterwards. Tests talk to it over HTTP like any client would.
 * Rate limits are off unless a test asks for some (`rateLimits`).
 */
import type { RateLimitAction } from "../../src/services/rate-limit";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { afterAll, beforeAll } from "bun:test";

export interface TestServer {
  baseUrl: string;
  dataDir: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Every line the server printed so far (stdout and stderr). */
  output: string[];
  /**
   * The first line printed from now on that `match` accepts (say, the log line that shows a
   * long-poll is parked): how tests wait for a state of the server instead of sleeping.
   */
  nextLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export interface StartOptions {
  /** Extra `[global]` TOML lines. */
  toml?: string;
  env?: Record<string, string>;
  /** Reuse an existing data directory (restart tests). */
  dataDir?: string;
  /** The command to run instead of `bun src/main.ts` (the compiled binary). */
  command?: string[];
  /** `false`: pass no CONDUIT_CONFIG nor any CONDUIT_* variable but `env` (the built-in defaults). */
  config?: false;
  /** Working directory of the server process. */
  cwd?: string;
  /** The log level (`info` unless a test watches debug lines). */
  log?: "info" | "debug";
  /** Rate limits to enforce (the others keep their defaults); without this option every limit is off. */
  rateLimits?: Partial<Record<RateLimitAction, { per_second: number; burst: number }>>;
}

/** The test's own environment without CONDUIT_* variables, so a developer's settings never leak in. */
function cleanEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("CONDUIT_")));
}

function rateLimitsToml(limits: StartOptions["rateLimits"]): string[] {
  if (!limits) return ["[global.rate_limits]", "enabled = false"];
  const rules = Object.entries(limits).map(([action, r]) => `${action} = { per_second = ${r.per_second}, burst = ${r.burst} }`);
  return ["[global.rate_limits]", "enabled = true", ...rules];
}

const root = join(import.meta.dir, "..", "..");

/** Calls `onLine` with each line a process prints on `stream`. */
export async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  }
}

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "conduit-test-"));
  const configPath = join(dataDir, "conduit.toml");
  writeFileSync(
    configPath,
    [
      "[global]",
      'server_name = "localhost"',
      `database_path = "${dataDir}"`,
      'address = "127.0.0.1"',
      "port = 0",
      "allow_registration = true",
      `log = "${opts.log ?? "info"}"`,
      opts.toml ?? "",
      ...rateLimitsToml(opts.rateLimits),
    ].join("\n"),
  );
  const proc = Bun.spawn(opts.command ?? [process.execPath, join(root, "src/main.ts")], {
    env: { ...cleanEnv(), ...(opts.config === false ? {} : { CONDUIT_CONFIG: configPath }), ...opts.env },
    cwd: opts.cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const output: string[] = [];
  const watchers = new Set<(line: string) => void>();
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output.join("\n")}`)), 15_000);
    const collect = (stream: ReadableStream<Uint8Array>) =>
      readLines(stream, (line) => {
        output.push(line);
        for (const watch of [...watchers]) watch(line);
        const m = /"listening":"([^"]+)"/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    void collect(proc.stdout);
    void collect(proc.stderr);
    void proc.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output.join("\n")}`));
    });
  });
  return {
    baseUrl,
    dataDir,
    proc,
    output,
    nextLine(match, timeoutMs = 15_000) {
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(watch);
          reject(new Error(`no matching line within ${timeoutMs} ms`));
        }, timeoutMs);
        const watch = (line: string) => {
          if (!match(line)) return;
          clearTimeout(timer);
          watchers.delete(watch);
          resolve(line);
        };
        watchers.add(watch);
      });
    },
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      const code = await proc.exited;
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/**
 * One server for the calling test file (or `describe` block): started before its tests, stopped
 * after them. `baseUrl` is known once the server runs, so read it inside tests and hooks.
 */
export function serverForTests(opts: StartOptions = {}): { readonly baseUrl: string } {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startServer(opts);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get baseUrl(): string {
      if (!server) throw new Error("the test server has not started yet");
      return server.baseUrl;
    },
  };
}
