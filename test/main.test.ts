// The process as an operator meets it: --help and --version, start-up failures as one sentence with
// exit status 1, warnings for unknown keys, the built-in defaults, and environment overrides.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { startServer } from "./helpers/server";

const root = join(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "conduit-main-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `bun src/main.ts <args>` to completion (for runs that end on their own). */
async function runConduit(args: string[], env: Record<string, string> = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CONDUIT_")));
  const proc = Bun.spawn([process.execPath, join(root, "src/main.ts"), ...args], {
    env: { ...base, ...env },
    cwd: dir,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A failed start: status 1 and exactly one line on stderr, no stack trace. */
async function expectOneSentenceFailure(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { code, stdout, stderr } = await runConduit(args, env);
  expect(code).toBe(1);
  const lines = stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toStartWith("conduit: ");
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stdout).not.toContain("conduit started");
  return lines[0]!;
}

describe("arguments", () => {
  test("--help describes the options and exits 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const { code, stdout } = await runConduit([flag]);
      expect(code).toBe(0);
      expect(stdout).toContain("Usage: conduit");
      expect(stdout).toContain("--config");
      expect(stdout).toContain("CONDUIT_CONFIG");
    }
  });

  test("--version prints the package version and exits 0", async () => {
    const { code, stdout } = await runConduit(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(`conduit ${pkg.version}`);
  });

  test("an unknown argument is one sentence and status 1", async () => {
    expect(await expectOneSentenceFailure(["--frobnicate"])).toContain('"--frobnicate"');
  });

  test("--config without a path is refused", async () => {
    expect(await expectOneSentenceFailure(["--config"])).toContain("--config needs a file path");
  });
});

describe("a bad config stops the start with one sentence naming the key", () => {
  test("a value of the wrong type", async () => {
    const path = configFile("bad-port.toml", '[global]\nport = "six"\n');
    expect(await expectOneSentenceFailure(["--config", path])).toBe(
      'conduit: config key "port" is "six", but it must be an integer',
    );
  });

  test("rocksdb", async () => {
    const path = configFile("rocks.toml", '[global]\ndatabase_backend = "rocksdb"\n');
    expect(await expectOneSentenceFailure(["-c", path])).toContain('"database_backend" is "rocksdb"');
  });

  test("broken TOML", async () => {
    const path = configFile("broken.toml", "[global\nport = 1\n");
    expect(await expectOneSentenceFailure([`--config=${path}`])).toContain("is not valid TOML");
  });

  test("a missing file named by CONDUIT_CONFIG", async () => {
    const missing = join(dir, "missing.toml");
    expect(await expectOneSentenceFailure([], { CONDUIT_CONFIG: missing })).toBe(
      `conduit: config file ${missing} does not exist`,
    );
  });

  test("a bad value from the environment", async () => {
    const path = configFile("ok.toml", '[global]\nport = 0\n');
    expect(await expectOneSentenceFailure(["--config", path], { CONDUIT_ALLOW_FEDERATION: "maybe" })).toContain(
      '"allow_federation" is "maybe"',
    );
  });

  test("TLS files that do not exist", async () => {
    const path = configFile("tls.toml", `[global]\nport = 0\ndatabase_path = "${dir}/tls-data"\n[global.tls]\ncerts = "${dir}/none.pem"\nkey = "${dir}/none.key"\n`);
    expect(await expectOneSentenceFailure(["--config", path])).toContain('"tls.certs" names');
  });
});

describe("starting", () => {
  test("unknown keys are warned about and the server still starts", async () => {
    const server = await startServer({ toml: "enable_lightning_bolt = true\nno_such_key = 1" });
    try {
      expect((await fetch(`${server.baseUrl}/_matrix/client/versions`)).status).toBe(200);
      const warning = server.output.find((l) => l.includes("no_such_key"));
      expect(warning && JSON.parse(warning)).toMatchObject({ level: "warn", msg: 'unknown config key "no_such_key" is ignored' });
      // Conduit's own keys are accepted silently.
      expect(server.output.join("\n")).not.toContain("enable_lightning_bolt");
    } finally {
      await server.stop();
    }
  });

  test("without any config: 127.0.0.1:6167, data in ./data, and a line saying so", async () => {
    const cwd = mkdtempSync(join(dir, "defaults-"));
    const server = await startServer({ config: false, cwd });
    try {
      expect(server.baseUrl).toBe("http://127.0.0.1:6167");
      const notice = server.output.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => "data" in r);
      expect(notice).toMatchObject({ level: "info", data: join(cwd, "data") });
      expect(String(notice?.msg)).toContain("built-in defaults");
      expect(await Bun.file(join(cwd, "data", "conduit.db")).exists()).toBe(true);
      expect((await fetch(`${server.baseUrl}/_matrix/client/versions`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  test("CONDUIT_WELL_KNOWN_CLIENT overrides [global.well_known] of the file", async () => {
    const server = await startServer({
      toml: '[global.well_known]\nclient = "https://from-file.example"',
      env: { CONDUIT_WELL_KNOWN_CLIENT: "https://from-env.example", CONDUIT_SERVER_NAME: "env.example" },
    });
    try {
      const client = await (await fetch(`${server.baseUrl}/.well-known/matrix/client`)).json();
      expect(client).toEqual({ "m.homeserver": { base_url: "https://from-env.example" } });
      const fed = await (await fetch(`${server.baseUrl}/.well-known/matrix/server`)).json();
      expect(fed).toEqual({ "m.server": "env.example:443" });
    } finally {
      await server.stop();
    }
  });

  test("our conduit-example.toml starts a server (with the data path and port from the environment)", async () => {
    const data = mkdtempSync(join(dir, "example-"));
    const server = await startServer({
      config: false,
      env: { CONDUIT_CONFIG: join(root, "conduit-example.toml"), CONDUIT_DATABASE_PATH: data, CONDUIT_PORT: "0" },
    });
    try {
      expect(server.output.some((l) => l.includes('"level":"warn"'))).toBe(false);
      const fed = await (await fetch(`${server.baseUrl}/.well-known/matrix/server`)).json();
      expect(fed).toEqual({ "m.server": "example.org:443" });
    } finally {
      await server.stop();
    }
  });

  test("a port already in use is one sentence and status 1", async () => {
    const holder = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("busy") });
    try {
      const path = configFile("taken.toml", `[global]\nport = ${holder.port}\ndatabase_path = "${dir}/taken-data"\n`);
      expect(await expectOneSentenceFailure(["--config", path])).toContain(`cannot listen on 127.0.0.1:${holder.port}`);
    } finally {
      await holder.stop(true);
    }
  });

  test("a second server on the same data refuses to start while the first runs", async () => {
    const first = await startServer();
    try {
      const path = configFile("second.toml", `[global]\nport = 0\ndatabase_path = "${first.dataDir}"\n`);
      expect(await expectOneSentenceFailure(["--config", path])).toContain("is in use by another conduit process");
      expect((await fetch(`${first.baseUrl}/_matrix/client/versions`)).status).toBe(200);
    } finally {
      await first.stop();
    }
  });
});
