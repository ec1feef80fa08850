/** Filters uploaded by clients, numbered per user; uploading an identical filter returns its id. */
import type { Database } from "bun:sqlite";

const SELECT = "SELECT filter_json FROM filters WHERE user_id = ? AND filter_id = ?";
const SELECT_SAME = "SELECT filter_id FROM filters WHERE user_id = ? AND filter_json = ?";
const INSERT = `
  INSERT INTO filters (user_id, filter_id, filter_json)
  VALUES (?1, (SELECT COALESCE(MAX(filter_id), -1) + 1 FROM filters WHERE user_id = ?1), ?2)
  RETURNING filter_id`;

export function createFiltersRepo(db: Database) {
  return {
    /** Stores a filter (canonical text) and returns its id, reusing the id of an identical one. */
    addFilter(userId: string, filterJson: string): number {
      return db.transaction(() => {
        const same = db.query<{ filter_id: number }, [string, string]>(SELECT_SAME).get(userId, filterJson);
        if (same) return same.filter_id;
        return db.query<{ filter_id: number }, [string, string]>(INSERT).get(userId, filterJson)!.filter_id;
      }).immediate(); // reads before it writes: take the write lock first (see db.ts)
    },
    getFilter(userId: string, filterId: number): string | undefined {
      return db.query<{ filter_json: string }, [string, number]>(SELECT).get(userId, filterId)?.filter_json;
    },
  };
}
export type FiltersRepo = ReturnType<typeof createFiltersRepo>;
