// `conduit admin create-user` as a real process: with the server stopped (the first admin on a new
// database) and beside a running server, the password from a file, standard input or generated,
// and the mistakes an operator makes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, expectError, loginUser } from "../helpers/client";
import { createAdmin, runCli, serverConfig } from "../helpers/admin";
import { startServer, type TestServer } from "../helpers/server";

describe("with the server stopped", () => {
  let dir: string;
  let config: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "conduit-cli-"));
    config = join(dir, "cli.toml");
    writeFileSync(config, `[global]\nserver_name = "localhost"\ndatabase_path = "${dir}"\naddress = "127.0.0.1"\nport = 0\nallow_registration = false\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("creates the first admin on a new database; the server started afterwards lets it log in as admin", async () => {
    writeFileSync(join(dir, "pw"), "first admin secret\n");
    const res = await runCli(["admin", "create-user", "Root", "--admin", "--password-file", join(dir, "pw"), "--config", config]);
    expect(res).toMatchObject({ code: 0, stdout: "created admin @root:localhost\n" });
    const server = await startServer({ dataDir: dir, env: { CONDUIT_ALLOW_REGISTRATION: "false" } });
    try {
      const session = await loginUser(server.baseUrl, "root", "first admin secret");
      const admin = await api(server.baseUrl, "GET", `/_synapse/admin/v1/users/${encodeURIComponent(session.user_id)}/admin`, { token: session.access_token });
      expect(admin.body).toEqual({ admin: true });
    } finally {
      await server.stop();
    }
  });

  test("without --password-file a password is generated and printed once; -c names the config", async () => {
    const res = await runCli(["admin", "create-user", "generated", "-c", config]);
    expect(res.code).toBe(0);
    const match = /^created @generated:localhost\npassword: (\S{20,})\n$/.exec(res.stdout);
    expect(match).not.toBeNull();
    const server = await startServer({ dataDir: dir });
    try {
      const session = await loginUser(server.baseUrl, "generated", match![1]);
      expect(session.user_id).toBe("@generated:localhost");
    } finally {
      await server.stop();
    }
  });

  test("--password-file - reads the password from standard input", async () => {
    const res = await runCli(["admin", "create-user", "piped", "--password-file", "-", "-c", config], { stdin: "from stdin\n" });
    expect(res).toMatchObject({ code: 0, stdout: "created @piped:localhost\n" });
    const server = await startServer({ dataDir: dir });
    try {
      expect((await loginUser(server.baseUrl, "piped", "from stdin")).user_id).toBe("@piped:localhost");
    } finally {
      await server.stop();
    }
  });

  test("a taken name fails with status 1 and prints nothing on stdout", async () => {
    writeFileSync(join(dir, "taken-pw"), "x\n");
    await runCli(["admin", "create-user", "taken", "--password-file", join(dir, "taken-pw"), "-c", config]);
    const taken = await runCli(["admin", "create-user", "taken", "-c", config]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain("already taken");
    expect(taken.stdout).toBe("");
  });

  test("usage mistakes (no name, an unknown option) fail with status 2 and the usage line", async () => {
    const noName = await runCli(["admin", "create-user", "-c", config]);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain("usage: conduit admin create-user NAME");

    const unknown = await runCli(["admin", "create-user", "x", "--root", "-c", config]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option "--root"');
  });

  test("a missing or empty password file, a bad name and an unknown admin command fail with status 1", async () => {
    const missing = await runCli(["admin", "create-user", "x", "--password-file", join(dir, "nope"), "-c", config]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("does not exist");

    writeFileSync(join(dir, "empty"), "\n");
    const empty = await runCli(["admin", "create-user", "x", "--password-file", join(dir, "empty"), "-c", config]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("is empty");

    const bad = await runCli(["admin", "create-user", "no spaces", "-c", config]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("may only contain");

    const group = await runCli(["admin", "frobnicate", "-c", config]);
    expect(group.code).toBe(1);
    expect(group.stderr).toContain('unknown command "admin frobnicate"');
  });
});

describe("beside a running server", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { CONDUIT_ALLOW_REGISTRATION: "false" } });
  });
  afterAll(() => server.stop());

  test("the account is usable at once, registration closed or not", async () => {
    const admin = await createAdmin(server, "live-admin", "live secret");
    expect(admin.user_id).toBe("@live-admin:localhost");
    const res = await api(server.baseUrl, "GET", `/_synapse/admin/v2/users/${encodeURIComponent(admin.user_id)}`, { token: admin.access_token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "@live-admin:localhost", admin: true, deactivated: false });
  });

  test("a full user id of this server is accepted; another server's is refused", async () => {
    const ok = await runCli(["admin", "create-user", "@full:localhost", "--password-file", "-"], { configPath: serverConfig(server), stdin: "pw" });
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain("created @full:localhost (the running server sees it at once)");
    const other = await runCli(["admin", "create-user", "@x:elsewhere.org"], { configPath: serverConfig(server) });
    expect(other.code).toBe(1);
  });

  test("a plain user is no admin", async () => {
    await runCli(["admin", "create-user", "plain", "--password-file", "-"], { configPath: serverConfig(server), stdin: "plain pw" });
    const plain = await loginUser(server.baseUrl, "plain", "plain pw");
    const res = await api(server.baseUrl, "GET", "/_synapse/admin/v2/users", { token: plain.access_token });
    expectError(res, 403, "M_FORBIDDEN");
  });
});
