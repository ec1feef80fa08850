// `conduit verify` as a real process: a healthy database and media folder pass (beside a running
// server too); a missing media file, a dangling reference and a damaged page are each reported
// with exit status 1; unused media files are reported without failing.
import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerUser, type Session } from "../helpers/client";
import { runCli, serverConfig } from "../helpers/admin";
import { createRoom, sendMessage } from "../helpers/rooms";
import { startServer, type TestServer } from "../helpers/server";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function upload(server: TestServer, who: Session, bytes: Uint8Array): Promise<void> {
  const res = await fetch(`${server.baseUrl}/_matrix/media/v3/upload`, {
    method: "POST",
    headers: { Authorization: `Bearer ${who.access_token}`, "Content-Type": "application/octet-stream" },
    body: bytes,
  });
  expect(res.status).toBe(200);
}

/** A stopped server's data directory with a room, messages and two uploads. */
async function stoppedServerData(): Promise<{ dataDir: string; config: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "conduit-verify-"));
  dirs.push(dataDir);
  const server = await startServer({ dataDir });
  try {
    const alice = await registerUser(server.baseUrl, "alice");
    const roomId = await createRoom(server.baseUrl, alice);
    for (let i = 0; i < 5; i++) await sendMessage(server.baseUrl, alice, roomId, `message ${i}`);
    await upload(server, alice, new Uint8Array([1, 2, 3, 4]));
    await upload(server, alice, new Uint8Array([5, 6, 7, 8]));
    // Beside the running server the same checks pass.
    const beside = await runCli(["verify"], { configPath: serverConfig(server) });
    expect(beside).toMatchObject({ code: 0 });
    expect(beside.stdout).toContain("verify: no damage found");
  } finally {
    await server.stop();
  }
  return { dataDir, config: join(dataDir, "conduit.toml") };
}

function mediaFiles(dataDir: string): string[] {
  const root = join(dataDir, "media");
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !join(e.parentPath, e.name).includes(`${root}/tmp`))
    .map((e) => join(e.parentPath, e.name));
}

test("a healthy server's data passes every check", async () => {
  const { config } = await stoppedServerData();
  const res = await runCli(["verify"], { configPath: config });
  expect(res).toMatchObject({ code: 0 });
  expect(res.stdout).toMatch(/^integrity: ok \([\d.]+ s\)\nreferences: ok\nmedia: 2 files used, all present\nverify: no damage found\n$/);
});

test("a media file gone from disk is damage; a file nothing uses is reported without failing", async () => {
  const { dataDir, config } = await stoppedServerData();
  const [first] = mediaFiles(dataDir);
  rmSync(first!);
  const unused = join(dataDir, "media", "ff", "ff", "f".repeat(60));
  Bun.spawnSync(["mkdir", "-p", join(dataDir, "media", "ff", "ff")]);
  writeFileSync(unused, "left behind");
  const res = await runCli(["verify"], { configPath: config });
  expect(res.code).toBe(1);
  expect(res.stdout).toContain("media: 2 files used, 1 missing");
  expect(res.stdout).toContain(`  missing: ${first}`);
  expect(res.stdout).toContain("media: 1 files nothing uses (0.0 MB;");
  expect(res.stdout).toContain("verify: damage found");
});

test("current state naming an event that is not stored is damage", async () => {
  const { dataDir, config } = await stoppedServerData();
  const db = new Database(join(dataDir, "conduit.db"));
  db.run("PRAGMA foreign_keys = OFF");
  const row = db.query<{ event_id: string }, []>("SELECT event_id FROM current_state WHERE type = 'm.room.name' OR type = 'm.room.join_rules' LIMIT 1").get();
  db.query("UPDATE current_state SET event_id = '$gone' WHERE event_id = ?").run(row!.event_id);
  db.close();
  const res = await runCli(["verify"], { configPath: config });
  expect(res.code).toBe(1);
  expect(res.stdout).toContain("references: 1 current state entries naming an event that is not stored");
});

test("a damaged page fails the integrity check", async () => {
  const { dataDir, config } = await stoppedServerData();
  const file = join(dataDir, "conduit.db");
  // Checkpointed at shutdown: the data is in the main file. Overwrite the events table's root page.
  const db = new Database(file, { readonly: true });
  const pageSize = db.query<{ page_size: number }, []>("PRAGMA page_size").get()!.page_size;
  const root = db.query<{ rootpage: number }, []>("SELECT rootpage FROM sqlite_schema WHERE name = 'events'").get()!.rootpage;
  db.close();
  const bytes = new Uint8Array(await Bun.file(file).arrayBuffer());
  bytes.fill(0x5a, (root - 1) * pageSize, root * pageSize);
  await Bun.write(file, bytes);
  const res = await runCli(["verify"], { configPath: config });
  expect(res.code).toBe(1);
  expect(res.stdout).toMatch(/^integrity: \d+ problems\n/);
  expect(res.stdout).toContain("verify: damage found");
});
