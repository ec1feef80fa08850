/**
 * Whole-database operations for the command line: a consistent copy of a live database, a
 * compaction, and the size figures they report. `VACUUM INTO` reads inside one read transaction,
 * so the copy is the database as of one commit even while the server writes beside it (WAL), and
 * it is written compact and without a WAL of its own.
 */
import type { Database } from "bun:sqlite";

export interface DatabaseSize {
  /** Bytes of the main file (pages x page size). */
  bytes: number;
  /** Bytes on free pages, which `compact` gives back. */
  freeBytes: number;
}

export function createMaintenanceRepo(db: Database) {
  const pragma = (name: string) => db.query<Record<string, number>, []>(`PRAGMA ${name}`).get()?.[name] ?? 0;
  return {
    /** Writes a consistent, compact copy of the database to `file` (which must not exist). */
    copyInto(file: string): void {
      db.query("VACUUM INTO ?").run(file);
    },
    /** Rebuilds the file without free pages and folds the WAL back in. Needs the database to itself. */
    compact(): void {
      db.run("VACUUM");
      db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    },
    size(): DatabaseSize {
      const pageSize = pragma("page_size");
      return { bytes: pragma("page_count") * pageSize, freeBytes: pragma("freelist_count") * pageSize };
    },
  };
}
export type MaintenanceRepo = ReturnType<typeof createMaintenanceRepo>;
