// Appservice registration files at start, in the real process: a bad file stops the start with
// status 1 and one sentence naming the file and the field; good files start the server, and each
// appservice's sender user exists from then on.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api } from "./helpers/client";
import { appserviceFilesToml, registrationYaml, writeRegistration } from "./helpers/appservice";
import { startServer } from "./helpers/server";

const root = join(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "conduit-main-as-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failedStart(toml: string): Promise<string> {
  const config = join(dir, "bad.toml");
  writeFileSync(config, `[global]\nserver_name = "localhost"\ndatabase_path = "${join(dir, "bad-data")}"\nport = 0\n${toml}\n`);
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CONDUIT_")));
  const proc = Bun.spawn([process.execPath, join(root, "src/main.ts"), "--config", config], { env: base, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  expect(code).toBe(1);
  expect(stdout).not.toContain("conduit started");
  const lines = stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

test("a registration with a bad field stops the start, naming the file and the field", async () => {
  const path = join(dir, "bad-registration.yaml");
  writeFileSync(path, registrationYaml({ id: "bad" }).replace("sender_localpart: badbot", "sender_localpart: [1, 2]"));
  expect(await failedStart(appserviceFilesToml([path]))).toBe(
    `conduit: appservice registration ${path} has a bad field: "sender_localpart" is a list, but it must be a string`,
  );
});

test("a missing registration file stops the start", async () => {
  const path = join(dir, "absent.yaml");
  expect(await failedStart(appserviceFilesToml([path]))).toBe(`conduit: config key "app_service_config_files" names ${path}, which does not exist`);
});

test("good files start the server; each sender user exists", async () => {
  const files = [writeRegistration(dir, { id: "telegram" }), writeRegistration(dir, { id: "signal", url: "http://127.0.0.1:9" })];
  const server = await startServer({ toml: appserviceFilesToml(files) });
  try {
    for (const sender of ["@telegrambot:localhost", "@signalbot:localhost"]) {
      const res = await api(server.baseUrl, "GET", `/_matrix/client/v3/profile/${encodeURIComponent(sender)}`);
      expect(res.status).toBe(200);
    }
    expect(server.output.filter((l) => l.includes('"msg":"appservice loaded"'))).toHaveLength(2);
  } finally {
    await server.stop();
  }
});
