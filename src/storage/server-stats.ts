/** Counts for the admin room's `show-stats`: accounts, rooms, events, media and the database's size. */
import type { Database } from "bun:sqlite";

export interface ServerStats {
  local_users: number;
  rooms: number;
  events: number;
  local_media_bytes: number;
  database_bytes: number;
}

const STATS = `
  SELECT
    (SELECT count(*) FROM users WHERE deactivated = 0) AS local_users,
    (SELECT count(*) FROM rooms) AS rooms,
    (SELECT count(*) FROM events) AS events,
    (SELECT coalesce(sum(bytes), 0) FROM media_usage WHERE scope = 'local') AS local_media_bytes`;

export function createServerStatsRepo(db: Database) {
  return {
    stats(): ServerStats {
      const counts = db.query<Omit<ServerStats, "database_bytes">, []>(STATS).get()!;
      const pages = db.query<{ page_count: number }, []>("PRAGMA page_count").get()!.page_count;
      const pageSize = db.query<{ page_size: number }, []>("PRAGMA page_size").get()!.page_size;
      return { ...counts, database_bytes: pages * pageSize };
    },
  };
}
