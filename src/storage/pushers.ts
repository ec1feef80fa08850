/**
 * Pushers: where a user's devices want notifications sent (spec "Pushers"). Unique per
 * (app_id, pushkey, user); the same pushkey may serve several users only when they asked to
 * `append`. A pusher goes with the device that set it (the schema cascades the deletion). Each
 * pusher carries its gateway's retry schedule, which the push sender updates.
 */
import type { Database } from "bun:sqlite";

export interface PusherRow {
  id: number;
  user_id: string;
  app_id: string;
  pushkey: string;
  kind: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag: string | null;
  lang: string;
  /** JSON object, `url` included. */
  data: string;
  device_id: string | null;
  pushkey_ts: number;
  failures: number;
  retry_at_ts: number;
}

export type NewPusher = Omit<PusherRow, "id" | "failures" | "retry_at_ts">;

const UPSERT = `
  INSERT INTO pushers (user_id, app_id, pushkey, kind, app_display_name, device_display_name, profile_tag, lang, data, device_id, pushkey_ts)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (app_id, pushkey, user_id) DO UPDATE SET
    kind = excluded.kind, app_display_name = excluded.app_display_name,
    device_display_name = excluded.device_display_name, profile_tag = excluded.profile_tag,
    lang = excluded.lang, data = excluded.data, device_id = excluded.device_id, pushkey_ts = excluded.pushkey_ts,
    failures = 0, retry_at_ts = 0
  RETURNING id`;
const SELECT_FOR_USER = "SELECT * FROM pushers WHERE user_id = ? ORDER BY id";
const SELECT_ONE = "SELECT * FROM pushers WHERE id = ?";
const DELETE_ONE = "DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_id = ?";
const DELETE_OTHER_USERS = "DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_id != ?";
const DELETE_BY_ID = "DELETE FROM pushers WHERE id = ?";
const RECORD_FAILURE = "UPDATE pushers SET failures = ?, retry_at_ts = ? WHERE id = ?";
const RESET_BACKOFF = "UPDATE pushers SET failures = 0, retry_at_ts = 0 WHERE id = ?";

export function createPushersRepo(db: Database) {
  return {
    /**
     * Creates or updates the user's pusher for (app_id, pushkey); unless `append`, the same
     * pushkey is taken away from every other user. Returns the pusher's id.
     */
    set(p: NewPusher, append: boolean): number {
      return db.transaction(() => {
        if (!append) db.query(DELETE_OTHER_USERS).run(p.app_id, p.pushkey, p.user_id);
        return db
          .query<{ id: number }, (string | number | null)[]>(UPSERT)
          .get(p.user_id, p.app_id, p.pushkey, p.kind, p.app_display_name, p.device_display_name, p.profile_tag, p.lang, p.data, p.device_id, p.pushkey_ts)!.id;
      }).immediate();
    },
    forUser(userId: string): PusherRow[] {
      return db.query<PusherRow, [string]>(SELECT_FOR_USER).all(userId);
    },
    get(id: number): PusherRow | null {
      return db.query<PusherRow, [number]>(SELECT_ONE).get(id);
    },
    /** Removes one pusher; returns whether it existed. */
    delete(userId: string, appId: string, pushkey: string): boolean {
      return db.query(DELETE_ONE).run(appId, pushkey, userId).changes > 0;
    },
    deleteById(id: number): void {
      db.query(DELETE_BY_ID).run(id);
    },
    recordFailure(id: number, failures: number, retryAt: number): void {
      db.query(RECORD_FAILURE).run(failures, retryAt, id);
    },
    resetBackoff(id: number): void {
      db.query(RESET_BACKOFF).run(id);
    },
  };
}
export type PushersRepo = ReturnType<typeof createPushersRepo>;
