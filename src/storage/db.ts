/**
 * Opens the SQLite database with the durability settings a homeserver needs: WAL with
 * `synchronous=FULL` (a 200 is a promise that survives power loss), a busy timeout, foreign keys.
 * One process writes: the writer holds an OS lock on a companion `<file>.lock`, so a second server
 * started on the same data refuses instead of interleaving.
 * No integrity check on the way up (it reads the whole file: minutes on a large database). The
 * writer keeps a marker file `<file>.running` while open and removes it when it closes cleanly;
 * finding it at open means the last run ended uncleanly (a crash, `kill -9`, power loss), so a
 * full check is owed (`integrityCheckOwed`), which main.ts runs in the background. The marker
 * stays until a check has passed, so an interrupted check is owed again at the next start.
 * Migrations are SQL files embedded in the binary and applied in order, tracked by
 * `PRAGMA user_version`; they only ever move forward.
 * The federation sender writes through a second connection of the same process: a multi-statement
 * transaction that reads before it writes must be IMMEDIATE (`db.transaction(fn).immediate()`), or
 * a commit by the other connection in between makes its first write fail at once with SQLITE_BUSY.
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { migrations } from "./migrations";
import { errorMessage } from "../core";

export class StorageError extends Error {}
/** Another conduit process holds the writer lock on this database. */
export class DatabaseInUse extends StorageError {}

export interface OpenOptions {
  /** Open read-only (state-resolution workers read beside the one writer). */
  readonly?: boolean;
  /**
   * A second read-write connection inside the process that already opened the database (the
   * federation sender worker): the first connection holds the writer lock, checked integrity and
   * migrated, so this one only sets its pragmas. WAL lets it write beside the main connection.
   */
  companion?: boolean;
  /** SQLite's page cache for this connection, in MiB (default: SQLite's 2 MiB). */
  cacheMiB?: number;
}

/**
 * The page size of a new database (SQLite's default is 4 KiB). A commit writes every page it changed
 * to the WAL in full, and a message changes one leaf in each of about ten per-room indexes, so
 * smaller pages write less: 60 -> 30 KB written per message on the load bench, sends faster
 * (docs/performance.md). An existing file keeps its page size until `conduit compact` rebuilds it.
 */
export const PAGE_SIZE = 1024;

/**
 * WAL bytes before a commit folds the WAL back into the file (SQLite's default is 1,000 pages). A
 * hot page changed by many commits is then written to the file once per checkpoint instead of once
 * every thousand pages: 71 -> 50 KB written per message at 4 KiB pages (docs/performance.md).
 */
const WAL_AUTOCHECKPOINT_BYTES = 40 * 1024 * 1024;

/** Companion connections: they leave checkpoints to the main connection. */
const companions = new WeakSet<Database>();

/** The lock handle held by each open writer, released by `closeDatabase`. */
const writerLocks = new WeakMap<Database, Database>();

/** Each open writer's marker file, and whether an integrity check is owed (cleared when one passed). */
const markers = new WeakMap<Database, { file: string; checkOwed: boolean }>();

/** Whether the last run on this database ended without a clean close: a full check is owed. */
export function integrityCheckOwed(db: Database): boolean {
  return markers.get(db)?.checkOwed ?? false;
}

/** A full check passed: a clean close may now remove the marker. */
export function integrityCheckPassed(db: Database): void {
  const marker = markers.get(db);
  if (marker) marker.checkOwed = false;
}

export function openDatabase(file: string, opts: OpenOptions = {}): Database {
  if (opts.readonly) {
    const reader = new Database(file, { readonly: true });
    reader.run("PRAGMA busy_timeout = 5000");
    return reader;
  }
  if (opts.companion) {
    const db = new Database(file, { strict: true });
    db.run("PRAGMA busy_timeout = 5000");
    db.run("PRAGMA synchronous = FULL");
    db.run("PRAGMA foreign_keys = ON");
    // Its commits never checkpoint (SQLite's default would, past 1,000 pages): the main connection's setting rules.
    db.run("PRAGMA wal_autocheckpoint = 0");
    companions.add(db);
    return db;
  }
  const inMemory = file === ":memory:";
  if (!inMemory) mkdirSync(dirname(file), { recursive: true });
  const lock = inMemory ? undefined : acquireWriterLock(file);
  const db = new Database(file, { create: true, strict: true });
  try {
    db.run("PRAGMA busy_timeout = 5000");
    // Only a file without pages takes a page size; for any other this does nothing.
    db.run(`PRAGMA page_size = ${PAGE_SIZE}`);
    db.run("PRAGMA journal_mode = WAL");
    db.run("PRAGMA synchronous = FULL");
    db.run("PRAGMA foreign_keys = ON");
    const pageSize = db.query<{ page_size: number }, []>("PRAGMA page_size").get()!.page_size;
    db.run(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_BYTES / pageSize}`);
    if (opts.cacheMiB !== undefined) db.run(`PRAGMA cache_size = ${-Math.round(opts.cacheMiB * 1024)}`);
    migrate(db);
  } catch (e) {
    db.close();
    lock?.close();
    // A damaged file fails at the first statement that reads a damaged page (the schema is read by
    // the first one): every failure names the file.
    if (e instanceof StorageError) throw e;
    throw new StorageError(`database ${file} cannot be opened: ${errorMessage(e)}`);
  }
  if (lock) {
    writerLocks.set(db, lock);
    const marker = `${file}.running`;
    markers.set(db, { file: marker, checkOwed: existsSync(marker) });
    writeFileSync(marker, `${process.pid}\n`);
  }
  return db;
}

/**
 * Takes an exclusive SQLite lock on `<file>.lock` and keeps it for the connection's lifetime. SQLite
 * locks are POSIX record locks: the kernel drops them when the process dies, even by `kill -9`, so a
 * crash never leaves a stale lock behind.
 */
function acquireWriterLock(file: string): Database {
  const lock = new Database(`${file}.lock`, { create: true });
  try {
    // An exclusive transaction left open holds the lock until `close` (or process death) ends it.
    lock.run("BEGIN EXCLUSIVE");
  } catch {
    lock.close();
    throw new DatabaseInUse(`database ${file} is in use by another conduit process: stop it first`);
  }
  return lock;
}

/**
 * For command-line tools that work with the server stopped or running: the database opened as the
 * writer when no server holds it, else as a companion connection beside the running server (WAL
 * and the busy timeout let both write). Beside a server the schema must be this build's: the
 * running server migrated it, and a tool of another version must not write into it.
 */
export function openForTool(file: string): { db: Database; besideServer: boolean } {
  try {
    return { db: openDatabase(file), besideServer: false };
  } catch (e) {
    if (!(e instanceof DatabaseInUse)) throw e;
  }
  const db = openDatabase(file, { companion: true });
  const version = db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
  if (version !== migrations.length) {
    db.close();
    throw new StorageError(`database ${file} has schema version ${version}, this build expects ${migrations.length}: use the running server's own executable`);
  }
  return { db, besideServer: true };
}

/** Applies every embedded migration newer than the database's `user_version`, each atomically. */
export function migrate(db: Database): void {
  const current = db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
  if (current > migrations.length) {
    throw new StorageError(
      `database schema version ${current} is newer than this server's (${migrations.length}): refusing to run an older server on it`,
    );
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    db.transaction(() => {
      db.run(migrations[version - 1]!);
      db.run(`PRAGMA user_version = ${version}`);
    })();
  }
}

/** Folds the WAL back into the main file and truncates it, so the WAL cannot grow without bound. */
export function checkpoint(db: Database): void {
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
}

/**
 * Checkpoints every `intervalMs` in the background; the timer never keeps the process alive.
 * Returns the function that stops it.
 */
export function scheduleCheckpoints(db: Database, intervalMs: number, onError: (e: unknown) => void): () => void {
  const timer = setInterval(() => {
    try {
      checkpoint(db);
    } catch (e) {
      onError(e);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Checkpoints, closes, and releases the writer lock; the marker goes unless a check is still owed. */
export function closeDatabase(db: Database): void {
  if (!companions.has(db)) checkpoint(db);
  db.close();
  const marker = markers.get(db);
  if (marker && !marker.checkOwed) rmSync(marker.file, { force: true });
  markers.delete(db);
  writerLocks.get(db)?.close();
  writerLocks.delete(db);
}
