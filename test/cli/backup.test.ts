// `conduit backup` and `conduit compact` as real processes: a backup taken while a server is under
// load is restored into a new folder, and the server started there has every message acknowledged
// before the backup began and the media; and the mistakes an operator makes.
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, loginUser, registerUser, type Session } from "../helpers/client";
import { runCli, serverConfig } from "../helpers/admin";
import { createRoom, enc, sendMessage } from "../helpers/rooms";
import { startServer, type TestServer } from "../helpers/server";

const dirs: string[] = [];
const newDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const picture = new Uint8Array(4096).map((_, i) => (i * 31) % 251);

async function upload(server: TestServer, who: Session, bytes: Uint8Array): Promise<string> {
  const res = await fetch(`${server.baseUrl}/_matrix/media/v3/upload`, {
    method: "POST",
    headers: { Authorization: `Bearer ${who.access_token}`, "Content-Type": "application/octet-stream" },
    body: bytes,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { content_uri: string }).content_uri;
}

describe("conduit backup", () => {
  test("a backup of a server under load, restored into a new folder, holds every acknowledged message and the media", async () => {
    const server = await startServer({ dataDir: newDir("conduit-live-") });
    const backupDir = join(newDir("conduit-backup-"), "b");
    let acknowledgedBefore: string[] = [];
    let roomId = "";
    let mxc = "";
    try {
      const alice = await registerUser(server.baseUrl, "alice");
      roomId = await createRoom(server.baseUrl, alice);
      mxc = await upload(server, alice, picture);
      const acknowledged: string[] = [];
      let sending = true;
      // Four senders keep writing through the whole backup.
      const load = Promise.all(
        [0, 1, 2, 3].map(async (n) => {
          for (let i = 0; sending; i++) acknowledged.push(await sendMessage(server.baseUrl, alice, roomId, `sender ${n} message ${i}`));
        }),
      );
      while (acknowledged.length < 40) await sendMessage(server.baseUrl, alice, roomId, "warm-up");
      acknowledgedBefore = [...acknowledged];
      const res = await runCli(["backup", backupDir], { configPath: serverConfig(server) });
      sending = false;
      await load;
      expect(res.stderr).toContain("beside the running server");
      expect(res).toMatchObject({ code: 0 });
      expect(res.stdout).toMatch(/^backup written to .*: database [\d.]+ MB, 1 media files copied \([\d.]+ MB\), 0 already there\n$/);
      expect(acknowledged.length).toBeGreaterThan(acknowledgedBefore.length);
    } finally {
      await server.stop();
    }

    // Restore: the database and the media folder into a new data directory, then start there.
    const restored = newDir("conduit-restored-");
    cpSync(join(backupDir, "conduit.db"), join(restored, "conduit.db"));
    cpSync(join(backupDir, "media"), join(restored, "media"), { recursive: true });
    const again = await startServer({ dataDir: restored });
    try {
      const alice = await loginUser(again.baseUrl, "alice");
      for (const eventId of acknowledgedBefore) {
        const res = await api(again.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`, { token: alice.access_token });
        expect(res.status).toBe(200);
      }
      const [serverName, mediaId] = mxc.slice("mxc://".length).split("/");
      const download = await fetch(`${again.baseUrl}/_matrix/client/v1/media/download/${serverName}/${mediaId}`, {
        headers: { Authorization: `Bearer ${alice.access_token}` },
      });
      expect(download.status).toBe(200);
      expect(new Uint8Array(await download.arrayBuffer())).toEqual(picture);
      // The restored server writes on: a new message is accepted and read back.
      const later = await sendMessage(again.baseUrl, alice, roomId, "after the restore");
      expect((await api(again.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(later)}`, { token: alice.access_token })).status).toBe(200);
    } finally {
      await again.stop();
    }
  });

  test("media already in the backup folder is not copied again; a folder that holds a backup database is refused", async () => {
    const dataDir = newDir("conduit-stopped-");
    const server = await startServer({ dataDir });
    try {
      const bob = await registerUser(server.baseUrl, "bob");
      await upload(server, bob, picture);
      await upload(server, bob, picture.map((b) => b ^ 0xff));
    } finally {
      await server.stop();
    }
    const config = join(dataDir, "conduit.toml");
    const target = newDir("conduit-backup-");
    const first = await runCli(["backup", join(target, "one")], { configPath: config });
    expect(first.stdout).toContain("2 media files copied");
    expect(first.stderr).not.toContain("beside the running server");
    // A second backup into a folder holding the media (another database name's folder is fine).
    mkdirSync(join(target, "two"));
    cpSync(join(target, "one", "media"), join(target, "two", "media"), { recursive: true });
    const second = await runCli(["backup", join(target, "two")], { configPath: config });
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout).toContain("0 media files copied (0.0 MB), 2 already there");

    const refused = await runCli(["backup", join(target, "one")], { configPath: config });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("exists already");
    const usage = await runCli(["backup"], { configPath: config });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("usage: conduit backup PATH");
    expect(existsSync(join(target, "one", "conduit.db.partial"))).toBe(false);
  });
});

describe("conduit compact", () => {
  test("refuses beside a running server; with it stopped it gives free pages back and the data stays", async () => {
    const dataDir = newDir("conduit-compact-");
    const server = await startServer({ dataDir });
    let roomId = "";
    try {
      const carol = await registerUser(server.baseUrl, "carol");
      roomId = await createRoom(server.baseUrl, carol);
      for (let i = 0; i < 20; i++) await sendMessage(server.baseUrl, carol, roomId, "x".repeat(2000));
      const running = await runCli(["compact"], { configPath: serverConfig(server) });
      expect(running.code).toBe(1);
      expect(running.stderr).toContain("stop it first");
    } finally {
      await server.stop();
    }
    const res = await runCli(["compact"], { configPath: join(dataDir, "conduit.toml") });
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/^compacted: [\d.]+ MB -> [\d.]+ MB \([\d.]+ MB of free pages given back\)\n$/);
    const again = await startServer({ dataDir });
    try {
      const carol = await loginUser(again.baseUrl, "carol");
      const joined = await api<{ joined_rooms: string[] }>(again.baseUrl, "GET", "/_matrix/client/v3/joined_rooms", { token: carol.access_token });
      expect(joined.body.joined_rooms).toEqual([roomId]);
    } finally {
      await again.stop();
    }
  });

  test("a database of an older server, at 4 KiB pages, is rebuilt at 1 KiB pages with every message kept", async () => {
    const dataDir = newDir("conduit-compact-pages-");
    const file = join(dataDir, "conduit.db");
    const pageSize = () => {
      const db = new Database(file, { readonly: true });
      try {
        return db.query<{ page_size: number }, []>("PRAGMA page_size").get()!.page_size;
      } finally {
        db.close();
      }
    };
    const old = new Database(file, { create: true });
    old.run("PRAGMA page_size = 4096");
    old.run("PRAGMA journal_mode = WAL");
    old.close();
    const server = await startServer({ dataDir });
    let roomId = "";
    const bodies = Array.from({ length: 30 }, (_, i) => `message ${i} ${"x".repeat(i * 100)}`);
    try {
      const carol = await registerUser(server.baseUrl, "carol");
      roomId = await createRoom(server.baseUrl, carol);
      for (const body of bodies) await sendMessage(server.baseUrl, carol, roomId, body);
    } finally {
      await server.stop();
    }
    expect(pageSize()).toBe(4096);
    const res = await runCli(["compact"], { configPath: join(dataDir, "conduit.toml") });
    expect(res).toMatchObject({ code: 0 });
    expect(pageSize()).toBe(1024);
    const again = await startServer({ dataDir });
    try {
      const carol = await loginUser(again.baseUrl, "carol");
      const page = await api<{ chunk: { type: string; content: { body?: string } }[] }>(
        again.baseUrl,
        "GET",
        `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100&filter=${enc(JSON.stringify({ types: ["m.room.message"] }))}`,
        { token: carol.access_token },
      );
      expect(page.body.chunk.map((e) => e.content.body).reverse()).toEqual(bodies);
    } finally {
      await again.stop();
    }
  });
});
