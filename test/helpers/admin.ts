/**
 * Server admins for tests: `conduit admin create-user --admin` run as a real process beside the
 * running test server (its own config file), then a password login.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll } from "bun:test";
import { loginUser, type Session } from "./client";
import { startServer, type StartOptions, type TestServer } from "./server";

const root = join(import.meta.dir, "..", "..");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bun src/main.ts ARGS` (or `command`) with the test server's config and no CONDUIT_* variables of the developer. */
export async function runCli(
  args: readonly string[],
  opts: { configPath?: string; command?: string[]; stdin?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("CONDUIT_")));
  const proc = Bun.spawn([...(opts.command ?? [process.execPath, join(root, "src/main.ts")]), ...args], {
    env: { ...env, ...(opts.configPath ? { CONDUIT_CONFIG: opts.configPath } : {}), ...opts.env },
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

export const serverConfig = (server: TestServer) => join(server.dataDir, "conduit.toml");

/**
 * Creates `name` as a server admin through the CLI while the server runs, and logs in; `env` is the
 * server's own CONDUIT_* settings that its config file lacks (a federated server's name).
 */
export async function createAdmin(server: TestServer, name: string, password = "admin password", env: Record<string, string> = {}): Promise<Session> {
  const file = join(server.dataDir, `${name}.password`);
  writeFileSync(file, `${password}\n`);
  const res = await runCli(["admin", "create-user", name, "--admin", "--password-file", file], { configPath: serverConfig(server), env });
  if (res.code !== 0) throw new Error(`admin create-user ${name}: ${res.code} ${res.stderr}`);
  return loginUser(server.baseUrl, name, password);
}

/**
 * One server for the calling test file with an admin `root` on it, filled in before its tests:
 * `const srv = serverWithAdmin(); ... srv.admin.access_token`.
 */
export function serverWithAdmin(opts: StartOptions = {}): { server: TestServer; admin: Session } {
  const out = { server: {} as TestServer, admin: {} as Session };
  beforeAll(async () => {
    out.server = await startServer(opts);
    out.admin = await createAdmin(out.server, "root");
  });
  afterAll(() => out.server.stop());
  return out;
}
