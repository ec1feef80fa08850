/**
 * Application service registrations added at run time by admin commands, kept as the YAML text the
 * admin gave (the files of `app_service_config_files` are read at start and never stored here).
 */
import type { Database } from "bun:sqlite";

export interface StoredRegistration {
  id: string;
  yaml: string;
  created_ts: number;
}

const SELECT_ALL = "SELECT id, yaml, created_ts FROM appservice_registrations ORDER BY created_ts, id";
const SELECT_ONE = "SELECT id, yaml, created_ts FROM appservice_registrations WHERE id = ?";
const INSERT = "INSERT INTO appservice_registrations (id, yaml, created_ts) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING";
const DELETE = "DELETE FROM appservice_registrations WHERE id = ?";

export function createAppservicesRepo(db: Database) {
  return {
    all(): StoredRegistration[] {
      return db.query<StoredRegistration, []>(SELECT_ALL).all();
    },

    get(id: string): StoredRegistration | null {
      return db.query<StoredRegistration, [string]>(SELECT_ONE).get(id);
    },

    /** Stores a registration; false (and nothing changes) when one with this id exists. */
    add(id: string, yaml: string, now: number): boolean {
      return db.query(INSERT).run(id, yaml, now).changes === 1;
    },

    /** Forgets a registration; false when there was none. */
    remove(id: string): boolean {
      return db.query(DELETE).run(id).changes === 1;
    },
  };
}
export type AppservicesRepo = ReturnType<typeof createAppservicesRepo>;
