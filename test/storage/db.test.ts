// Durability of the database: WAL + synchronous=FULL, no integrity check at start but a full one
// after an unclean shutdown (in the background), refusing a newer schema, one writer, WAL checkpoints, all-or-nothing writes when the disk is full, and committed
// writes surviving `kill -9` of the server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { closeDatabase, checkpoint, integrityCheckOwed, integrityCheckPassed, openDatabase, PAGE_SIZE, scheduleCheckpoints, StorageError } from "../../src/storage/db";
import { checkIntegrity } from "../../src/storage/integrity";
import { createStorage } from "../../src/storage";
import { migrations } from "../../src/storage/migrations";
import { api, expectError, loginUser, registerUser } from "../helpers/client";
import { startServer } from "../helpers/server";

const dir = mkdtempSync(join(tmpdir(), "conduit-db-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => join(dir, `db${files++}`, "conduit.db");

function pragma(db: ReturnType<typeof openDatabase>, name: string): unknown {
  return Object.values(db.query(`PRAGMA ${name}`).get() as Record<string, unknown>)[0];
}

describe("opening", () => {
  test("WAL, synchronous=FULL, foreign keys, and every migration applied", () => {
    const db = openDatabase(freshFile());
    expect(pragma(db, "journal_mode")).toBe("wal");
    expect(pragma(db, "synchronous")).toBe(2); // FULL
    expect(pragma(db, "foreign_keys")).toBe(1);
    expect(pragma(db, "user_version")).toBe(migrations.length);
    closeDatabase(db);
  });

  test("a database from a newer server is refused, untouched", () => {
    const file = freshFile();
    const db = openDatabase(file);
    db.run(`PRAGMA user_version = ${migrations.length + 1}`);
    closeDatabase(db);
    expect(() => openDatabase(file)).toThrow(StorageError);
    expect(() => openDatabase(file)).toThrow(/schema version \d+ is newer than this server's/);
  });

  test("a file whose schema cannot be read fails the start with a StorageError naming it", () => {
    const file = freshFile();
    closeDatabase(openDatabase(file));
    // Garbage over the first page's b-tree (the schema), past the 100-byte file header.
    const bytes = new Uint8Array(readFileSync(file));
    bytes.fill(0xa5, 100, 4096);
    writeFileSync(file, bytes);
    expect(() => openDatabase(file)).toThrow(new RegExp(`database ${file.replaceAll("/", "\\/")} `));
    expect(() => openDatabase(file)).toThrow(StorageError);
  });
  test("one writer: a second open of the same file is refused until the first closes", () => {
    const file = freshFile();
    const first = openDatabase(file);
    expect(() => openDatabase(file)).toThrow(/is in use by another conduit process/);
    closeDatabase(first);
    closeDatabase(openDatabase(file));
  });

  test("the writer checkpoints every 40 MiB of WAL; a companion connection leaves checkpoints to it", () => {
    const file = freshFile();
    const writer = openDatabase(file);
    const companion = openDatabase(file, { companion: true });
    expect(pragma(writer, "page_size")).toBe(PAGE_SIZE);
    expect(pragma(writer, "wal_autocheckpoint")).toBe((40 * 1024 * 1024) / PAGE_SIZE);
    expect(pragma(companion, "wal_autocheckpoint")).toBe(0);
    companion.close();
    closeDatabase(writer);
  });

  test("a new database gets 1 KiB pages; an existing one keeps its page size, and its checkpoints count in bytes", () => {
    expect(PAGE_SIZE).toBe(1024);
    const file = freshFile();
    mkdirSync(join(file, ".."), { recursive: true });
    const old = new Database(file);
    old.run("PRAGMA page_size = 4096");
    old.run("PRAGMA journal_mode = WAL");
    old.close();
    const db = openDatabase(file);
    expect(pragma(db, "page_size")).toBe(4096);
    expect(pragma(db, "wal_autocheckpoint")).toBe(10_240);
    expect(pragma(db, "user_version")).toBe(migrations.length);
    closeDatabase(db);
  });

  test("read-only handles may open beside the writer", () => {
    const file = freshFile();
    const writer = openDatabase(file);
    const reader = openDatabase(file, { readonly: true });
    expect(pragma(reader, "user_version")).toBe(migrations.length);
    reader.close();
    closeDatabase(writer);
  });
});

describe("integrity", () => {
  /** A database with some rows, its table and index pages in the main file. */
  function filledFile(): string {
    const file = freshFile();
    const storage = createStorage(openDatabase(file));
    for (let i = 0; i < 200; i++) storage.serverKeys.insertKey(`ed25519:k${i}`, new Uint8Array(32).fill(i), i);
    storage.close();
    return file;
  }

  test("checkIntegrity passes a sound database, beside its open writer", () => {
    const file = filledFile();
    const db = openDatabase(file);
    const report = checkIntegrity(file);
    expect(report).toMatchObject({ ok: true, problems: [] });
    closeDatabase(db);
  });

  test("checkIntegrity reports a damaged database that still opens", () => {
    const file = filledFile();
    // Garbage over the signing keys' table pages, leaving the schema readable.
    const reader = openDatabase(file, { readonly: true });
    const pages = reader.query<{ pageno: number }, []>("SELECT pageno FROM dbstat WHERE name = 'server_signing_keys'").all();
    reader.close();
    expect(pages.length).toBeGreaterThan(1);
    const bytes = new Uint8Array(readFileSync(file));
    for (const { pageno } of pages) bytes.fill(0xa5, (pageno - 1) * PAGE_SIZE, pageno * PAGE_SIZE);
    writeFileSync(file, bytes);
    closeDatabase(openDatabase(file)); // no check on the way up: it opens
    const report = checkIntegrity(file);
    expect(report.ok).toBe(false);
    expect(report.problems.length).toBeGreaterThan(0);
  });

  test("a check is owed after an unclean end until one passed, and never after a clean close", () => {
    const file = freshFile();
    const first = openDatabase(file);
    expect(integrityCheckOwed(first)).toBe(false);
    closeDatabase(first);
    expect(existsSync(`${file}.running`)).toBe(false);
    // What a crash leaves: the marker of a writer that never closed.
    writeFileSync(`${file}.running`, "1\n");
    const second = openDatabase(file);
    expect(integrityCheckOwed(second)).toBe(true);
    closeDatabase(second); // closed before any check: still owed
    const third = openDatabase(file);
    expect(integrityCheckOwed(third)).toBe(true);
    integrityCheckPassed(third);
    closeDatabase(third);
    const fourth = openDatabase(file);
    expect(integrityCheckOwed(fourth)).toBe(false);
    closeDatabase(fourth);
  });
});

describe("checkpoints", () => {
  test("checkpoint folds the WAL into the file and truncates it", () => {
    const file = freshFile();
    const storage = createStorage(openDatabase(file));
    storage.serverKeys.insertKey("ed25519:a", new Uint8Array(32), 1);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    const db = openDatabase(file, { readonly: true });
    // The reader sees the row whether it lives in the WAL or the main file.
    expect(createStorage(db).serverKeys.allKeys()).toHaveLength(1);
    db.close();
    storage.close();
    expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);
  });

  test("the periodic checkpoint runs on its own and stops when asked", async () => {
    const file = freshFile();
    const db = openDatabase(file);
    const storage = createStorage(db);
    storage.serverKeys.insertKey("ed25519:a", new Uint8Array(32), 1);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    const errors: unknown[] = [];
    const stop = scheduleCheckpoints(db, 20, (e) => errors.push(e));
    await Bun.sleep(120);
    expect(statSync(`${file}-wal`).size).toBe(0);
    stop();
    storage.serverKeys.insertKey("ed25519:b", new Uint8Array(32), 2);
    await Bun.sleep(120);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0); // stopped: nothing folded any more
    expect(errors).toEqual([]);
    checkpoint(db);
    storage.close();
  });
});

describe("a full disk", () => {
  test("a transaction that hits SQLITE_FULL leaves nothing half-written", () => {
    const db = openDatabase(freshFile());
    const storage = createStorage(db);
    storage.serverKeys.insertKey("ed25519:before", new Uint8Array(32), 1);
    // Simulate a full disk: the file may not grow past the pages it has now.
    db.run(`PRAGMA max_page_count = ${pragma(db, "page_count")}`);
    let error: unknown;
    try {
      storage.transaction(() => {
        for (let i = 0; i < 500; i++) storage.serverKeys.insertKey(`ed25519:k${i}`, new Uint8Array(1024), i);
      });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "SQLITE_FULL" });
    expect(storage.serverKeys.allKeys().map((k) => k.key_id)).toEqual(["ed25519:before"]);
    storage.close();
  });
});

describe("crash safety", () => {
  test("a write committed by the server survives kill -9, and the server starts again on the same data", async () => {
    const dataDir = mkdtempSync(join(dir, "crash-"));
    // The first start generates and commits the server's signing key before it listens.
    const first = await startServer({ dataDir });
    expect(await first.stop("SIGKILL")).not.toBe(0);
    const storage = createStorage(openDatabase(join(dataDir, "conduit.db")));
    const keys = storage.serverKeys.allKeys();
    storage.close();
    expect(keys).toHaveLength(1);
    // The kernel released the dead server's writer lock: a new one starts and keeps the same key.
    const second = await startServer({ dataDir });
    expect((await fetch(`${second.baseUrl}/_matrix/client/versions`)).status).toBe(200);
    // The full integrity check the crash made owed ran, and passed, while the server answered.
    const passed = (line: string) => line.includes("database integrity check passed");
    if (!second.output.some(passed)) await second.nextLine(passed);
    expect(second.output.some((line) => line.includes("did not shut down cleanly"))).toBe(true);
    expect(await second.stop()).toBe(0);
    const after = createStorage(openDatabase(join(dataDir, "conduit.db")));
    expect(after.serverKeys.allKeys().map((k) => k.key_id)).toEqual(keys.map((k) => k.key_id));
    after.close();
  });

  test("an account registered over HTTP survives kill -9 of the server", async () => {
    const dataDir = mkdtempSync(join(dir, "crash-http-"));
    const first = await startServer({ dataDir });
    const session = await registerUser(first.baseUrl, "survivor");
    expect(await first.stop("SIGKILL")).not.toBe(0);
    const second = await startServer({ dataDir });
    try {
      const again = await loginUser(second.baseUrl, "survivor");
      expect(again.user_id).toBe(session.user_id);
    } finally {
      await second.stop();
    }
  });
});

/** Mounts a small tmpfs (a real file system that can run out of space); undefined where we may not. */
function mountSmallDisk(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const mnt = join(dir, `disk-${files++}`);
  mkdirSync(mnt);
  const mount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt], { stderr: "pipe" });
  return mount.exitCode === 0 ? mnt : undefined;
}

describe("a full disk under a running server", () => {
  // Mounted in a hook, not while tests are collected: a filtered-out block mounts nothing.
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) console.warn("skipping the full-disk server test: it needs root to mount a small tmpfs");
  let mnt: string | undefined;
  beforeAll(() => {
    if (!isRoot) return;
    mnt = mountSmallDisk();
    if (!mnt) throw new Error("running as root, but a tmpfs cannot be mounted here");
  });
  afterAll(() => {
    if (mnt) Bun.spawnSync(["umount", "-l", mnt]);
  });

  test.skipIf(!isRoot)("a registration that cannot be written answers 503 M_UNKNOWN and leaves no account behind", async () => {
    const server = await startServer({ dataDir: mnt! });
    try {
      await registerUser(server.baseUrl, "before");
      // Start the UIA exchange while there is room, then fill the disk to the last byte.
      const body = { username: "blocked", password: "correct horse battery staple" };
      const start = await api<{ session: string }>(server.baseUrl, "POST", "/_matrix/client/v3/register", { body });
      expect(start.status).toBe(401);
      const { bavail, bsize } = statfsSync(mnt!);
      writeFileSync(join(mnt!, "filler"), new Uint8Array(Number(bavail) * Number(bsize)));
      expect(statfsSync(mnt!).bavail).toBe(0);

      const auth = { type: "m.login.dummy", session: start.body.session };
      const full = await api(server.baseUrl, "POST", "/_matrix/client/v3/register", { body: { ...body, auth } });
      expectError(full, 503, "M_UNKNOWN");

      rmSync(join(mnt!, "filler"));
      // Nothing of the failed registration was kept: the name is still free, and the server works on.
      const retried = await registerUser(server.baseUrl, "blocked");
      expect(retried.user_id).toBe("@blocked:localhost");
      expect((await loginUser(server.baseUrl, "before")).user_id).toBe("@before:localhost");
    } finally {
      await server.stop();
    }
  });
});
