// Durability of the database: WAL + synchronous=FULL, the integrity check at start, refusing a newer
// schema, one writer, WAL checkpoints, all-or-nothing writes when the disk is full, and committed
// writes surviving `kill -9` of the server.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, checkpoint, openDatabase, scheduleCheckpoints, StorageError } from "../../src/storage/db";
import { createStorage } from "../../src/storage";
import { migrations } from "../../src/storage/migrations";
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

  test("a corrupt file fails the start with a StorageError naming it", () => {
    const file = freshFile();
    const storage = createStorage(openDatabase(file));
    for (let i = 0; i < 200; i++) storage.serverKeys.insertKey(`ed25519:k${i}`, new Uint8Array(32).fill(i), i);
    storage.close();
    // Overwrite the middle of the file (table and index pages) with garbage.
    const bytes = new Uint8Array(readFileSync(file));
    bytes.fill(0xa5, 4096 * 2, bytes.length - 1024);
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

  test("read-only handles may open beside the writer", () => {
    const file = freshFile();
    const writer = openDatabase(file);
    const reader = openDatabase(file, { readonly: true });
    expect(pragma(reader, "user_version")).toBe(migrations.length);
    reader.close();
    closeDatabase(writer);
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
    expect(await second.stop()).toBe(0);
    const after = createStorage(openDatabase(join(dataDir, "conduit.db")));
    expect(after.serverKeys.allKeys().map((k) => k.key_id)).toEqual(keys.map((k) => k.key_id));
    after.close();
  });
});
