/**
 * Who ignores whom (migration 018), written with each change of a user's
 * `m.ignored_user_list`, and when each user last stopped ignoring someone.
 */
import type { Database } from "bun:sqlite";

const SELECT_IGNORED = "SELECT ignored_user_id AS id FROM ignored_users WHERE user_id = ?";
const SELECT_IGNORERS = "SELECT user_id AS id FROM ignored_users WHERE ignored_user_id = ?";
const DELETE_ONE = "DELETE FROM ignored_users WHERE user_id = ? AND ignored_user_id = ?";
const INSERT_ONE = "INSERT OR IGNORE INTO ignored_users (user_id, ignored_user_id) VALUES (?, ?)";
const UPSERT_RESYNC = `
  INSERT INTO ignore_resyncs (user_id, stream_id) VALUES (?, ?)
  ON CONFLICT (user_id) DO UPDATE SET stream_id = excluded.stream_id`;
const SELECT_RESYNC = "SELECT stream_id FROM ignore_resyncs WHERE user_id = ?";

export function createIgnoredUsersRepo(db: Database) {
  const ids = (sql: string, userId: string) => db.query<{ id: string }, [string]>(sql).all(userId).map((r) => r.id);
  return {
    /** The users `userId` ignores. */
    ignoredBy(userId: string): Set<string> {
      return new Set(ids(SELECT_IGNORED, userId));
    },
    /** The users who ignore `userId`. */
    ignorersOf(userId: string): string[] {
      return ids(SELECT_IGNORERS, userId);
    },
    /**
     * Makes `ignored` the whole list of `userId` (the caller's transaction); when someone left it,
     * records `streamId` as the user's resync point. Returns whether anyone left it.
     */
    replace(userId: string, ignored: ReadonlySet<string>, streamId: number): boolean {
      const before = new Set(ids(SELECT_IGNORED, userId));
      let removed = false;
      for (const id of before) {
        if (ignored.has(id)) continue;
        db.query(DELETE_ONE).run(userId, id);
        removed = true;
      }
      for (const id of ignored) if (!before.has(id)) db.query(INSERT_ONE).run(userId, id);
      if (removed) db.query(UPSERT_RESYNC).run(userId, streamId);
      return removed;
    },
    /** The account-data position of the user's last un-ignore; 0 when there was none. */
    resyncPoint(userId: string): number {
      return db.query<{ stream_id: number }, [string]>(SELECT_RESYNC).get(userId)?.stream_id ?? 0;
    },
  };
}
