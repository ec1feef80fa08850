/**
 * Opens the SQLite database with the durability settings a homeserver needs: WAL with
 * `synchronous=FULL` (a 200 is a promise that survives power loss), a busy timeout, foreign keys,
 * and an integrity check at start. Migrations are SQL files embedded in the binary and applied in
 * order, tracked by `PRAGMA user_version`; they only ever move forward.
 */
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { migrations } from "./migrations";

export class StorageError extends Error {}

export interface OpenOptions {
  /** Open read-only (state-resolution workers read beside the one writer). */
  readonly?: boolean;
}

export function openDatabase(file: string, opts: OpenOptions = {}): Database {
  if (file !== ":memory:" && !opts.readonly) mkdirSync(dirname(file), { recursive: true });
  const db = opts.readonly ? new Database(file, { readonly: true }) : new Database(file, { create: true, strict: true });
  db.run("PRAGMA busy_timeout = 5000");
  if (opts.readonly) return db;
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = FULL");
  db.run("PRAGMA foreign_keys = ON");
  const check = db.query<{ quick_check: string }, []>("PRAGMA quick_check").get();
  if (check?.quick_check !== "ok") {
    db.close();
    throw new StorageError(`database ${file} failed its integrity check: ${check?.quick_check ?? "no answer"}`);
  }
  migrate(db);
  return db;
}

/** Applies every embedded migration newer than the database's `user_version`, each atomically. */
export function migrate(db: Database): void {
  const current = db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
  if (current > migrations.length) {
    throw new StorageError(
      `database schema version ${current} is newer than this server (${migrations.length}): refusing to downgrade`,
    );
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    db.transaction(() => {
      db.run(migrations[version - 1]!);
      db.run(`PRAGMA user_version = ${version}`);
    })();
  }
}

/** Folds the WAL back into the main file; run periodically and at shutdown. */
export function checkpoint(db: Database): void {
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
}
