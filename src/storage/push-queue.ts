/**
 * The durable queue of pushes to gateways: one row per (notification, pusher), oldest first. The
 * main thread inserts inside the transaction that produced the notification; the push sender
 * worker reads, delivers and deletes, so nothing queued is lost to a restart.
 */
import type { Database } from "bun:sqlite";

export interface QueuedPush {
  id: number;
  pusher_id: number;
  /** JSON: the `notification` object without `devices`. */
  notification: string;
  /** JSON: the tweaks of this pusher's device entry. */
  tweaks: string;
  created_ts: number;
}

const INSERT_FOR_USER = `
  INSERT INTO push_queue (pusher_id, notification, tweaks, created_ts)
  SELECT id, ?, ?, ? FROM pushers WHERE user_id = ? ORDER BY id
  RETURNING pusher_id`;
const SELECT_WAITING = `
  SELECT p.id AS pusher_id, p.retry_at_ts AS retry_at_ts FROM pushers p
  WHERE EXISTS (SELECT 1 FROM push_queue q WHERE q.pusher_id = p.id)`;
const SELECT_HEAD = "SELECT * FROM push_queue WHERE pusher_id = ? ORDER BY id LIMIT 1";
const DELETE = "DELETE FROM push_queue WHERE id = ?";
const COUNT = "SELECT count(*) AS n FROM push_queue";

export function createPushQueueRepo(db: Database) {
  return {
    /** Queues one push for each pusher the user has now; returns their ids. */
    enqueueForUser(userId: string, notification: string, tweaks: string, now: number): number[] {
      return db
        .query<{ pusher_id: number }, [string, string, number, string]>(INSERT_FOR_USER)
        .all(notification, tweaks, now, userId)
        .map((r) => r.pusher_id);
    },
    /** Every pusher with something queued, and when it may next be tried. */
    waiting(): { pusher_id: number; retry_at_ts: number }[] {
      return db.query<{ pusher_id: number; retry_at_ts: number }, []>(SELECT_WAITING).all();
    },
    /** The pusher's oldest queued push. */
    head(pusherId: number): QueuedPush | null {
      return db.query<QueuedPush, [number]>(SELECT_HEAD).get(pusherId);
    },
    remove(id: number): void {
      db.query(DELETE).run(id);
    },
    size(): number {
      return db.query<{ n: number }, []>(COUNT).get()?.n ?? 0;
    },
  };
}
export type PushQueueRepo = ReturnType<typeof createPushQueueRepo>;
