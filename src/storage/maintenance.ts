/**
 * Whole-database operations for the command line: a consistent copy of a live database, a
 * compaction, and the size figures they report. `VACUUM INTO` reads inside one read transaction,
 * so the copy is the database as of one commit even while the server writes beside it (WAL), and
 * it is written compact and without a WAL of its own.
 */
import type { Database } from "bun:sqlite";
import { PAGE_SIZE } from "./db";

export interface DatabaseSize {
  /** Bytes of the main file (pages x page size). */
  bytes: number;
  /** Bytes on free pages, which `compact` gives back. */
  freeBytes: number;
}

/** References to rows that do not exist, each a description and the query counting them. */
const DANGLING: readonly [string, string][] = [
  ["current state entries naming an event that is not stored", "SELECT count(*) AS n FROM current_state s WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = s.event_id)"],
  ["joined memberships naming an event that is not stored", "SELECT count(*) AS n FROM room_memberships m WHERE m.membership = 'join' AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = m.event_id)"],
  ["forward extremities naming an event that is not stored", "SELECT count(*) AS n FROM forward_extremities f WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = f.event_id)"],
  ["state groups built on a group that does not exist", "SELECT count(*) AS n FROM state_groups g WHERE g.prev_group IS NOT NULL AND NOT EXISTS (SELECT 1 FROM state_groups p WHERE p.id = g.prev_group)"],
  ["state group entries naming an event that is not stored", "SELECT count(*) AS n FROM state_group_entries s WHERE s.event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = s.event_id)"],
];

export interface DanglingReference {
  what: string;
  count: number;
}

export function createMaintenanceRepo(db: Database) {
  const pragma = (name: string) => db.query<Record<string, number>, []>(`PRAGMA ${name}`).get()?.[name] ?? 0;
  return {
    /** Writes a consistent, compact copy of the database to `file` (which must not exist). */
    copyInto(file: string): void {
      db.query("VACUUM INTO ?").run(file);
    },
    /**
     * Rebuilds the file without free pages, at the page size of a new database, and folds the WAL
     * back in. Needs the database to itself.
     */
    compact(): void {
      if (pragma("page_size") === PAGE_SIZE) {
        db.run("VACUUM");
        db.run("PRAGMA wal_checkpoint(TRUNCATE)");
        return;
      }
      // SQLite changes the page size of a WAL database only by a VACUUM outside WAL mode.
      db.run("PRAGMA journal_mode = DELETE");
      db.run(`PRAGMA page_size = ${PAGE_SIZE}`);
      db.run("VACUUM");
      db.run("PRAGMA journal_mode = WAL");
    },
    /** Every kind of reference to a missing row, with how many there are (only kinds found). */
    danglingReferences(): DanglingReference[] {
      return DANGLING.map(([what, sql]) => ({ what, count: db.query<{ n: number }, []>(sql).get()?.n ?? 0 })).filter((d) => d.count > 0);
    },
    size(): DatabaseSize {
      const pageSize = pragma("page_size");
      return { bytes: pragma("page_count") * pageSize, freeBytes: pragma("freelist_count") * pageSize };
    },
  };
}
export type MaintenanceRepo = ReturnType<typeof createMaintenanceRepo>;
