/**
 * Delayed events (MSC4140): scheduled rows by send time, their owner's lists, and the outcome
 * (event id, error) once finalised. A row changes only while scheduled: every update checks
 * `finalised_ts IS NULL`, so a cancel racing a send leaves exactly one outcome.
 */
import type { Database } from "bun:sqlite";

export interface DelayedEventRow {
  delay_id: string;
  user_id: string;
  /** JSON of the requester that scheduled it. */
  requester: string;
  room_id: string;
  type: string;
  state_key: string | null;
  /** JSON object. */
  content: string;
  origin_ts: number | null;
  delay_ms: number;
  scheduled_at: number;
  send_ts: number;
  txn_key: string | null;
  finalised_ts: number | null;
  event_id: string | null;
  /** JSON error body. */
  error: string | null;
}

export type NewDelayedEvent = Omit<DelayedEventRow, "finalised_ts" | "event_id" | "error">;

const COLUMNS = "delay_id, user_id, requester, room_id, type, state_key, content, origin_ts, delay_ms, scheduled_at, send_ts, txn_key, finalised_ts, event_id, error";
const INSERT = `INSERT INTO delayed_events (delay_id, user_id, requester, room_id, type, state_key, content, origin_ts, delay_ms, scheduled_at, send_ts, txn_key)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const GET = `SELECT ${COLUMNS} FROM delayed_events WHERE delay_id = ?`;
const BY_TXN = "SELECT delay_id FROM delayed_events WHERE user_id = ? AND txn_key = ?";
const SCHEDULED_FOR = `SELECT ${COLUMNS} FROM delayed_events WHERE user_id = ? AND finalised_ts IS NULL ORDER BY send_ts, rowid`;
const FINALISED_FOR = `SELECT ${COLUMNS} FROM delayed_events WHERE user_id = ? AND finalised_ts IS NOT NULL ORDER BY finalised_ts DESC, rowid DESC`;
const COUNT_SCHEDULED = "SELECT count(*) AS n, min(send_ts) AS next FROM delayed_events WHERE user_id = ? AND finalised_ts IS NULL";
const DUE = `SELECT ${COLUMNS} FROM delayed_events WHERE finalised_ts IS NULL AND send_ts <= ? ORDER BY send_ts, rowid`;
const NEXT_DUE = "SELECT min(send_ts) AS next FROM delayed_events WHERE finalised_ts IS NULL";
const RESTART = "UPDATE delayed_events SET scheduled_at = ?1, send_ts = ?1 + delay_ms WHERE delay_id = ?2 AND finalised_ts IS NULL";
const FINALISE = "UPDATE delayed_events SET finalised_ts = ?, event_id = ?, error = ? WHERE delay_id = ? AND finalised_ts IS NULL";
const CANCEL_FOR_STATE = `UPDATE delayed_events SET finalised_ts = ?, error = ?
  WHERE room_id = ? AND type = ? AND state_key = ? AND user_id != ? AND finalised_ts IS NULL`;
const STATE_IN_ROOM = "SELECT DISTINCT type, state_key FROM delayed_events WHERE room_id = ? AND state_key IS NOT NULL AND finalised_ts IS NULL";
const PRUNE = `DELETE FROM delayed_events WHERE user_id = ?1 AND finalised_ts IS NOT NULL AND (finalised_ts < ?2 OR delay_id IN (
  SELECT delay_id FROM delayed_events WHERE user_id = ?1 AND finalised_ts IS NOT NULL ORDER BY finalised_ts DESC LIMIT -1 OFFSET ?3))`;

export function createDelayedEventsRepo(db: Database) {
  return {
    insert(row: NewDelayedEvent): void {
      db.query(INSERT).run(row.delay_id, row.user_id, row.requester, row.room_id, row.type, row.state_key, row.content, row.origin_ts, row.delay_ms, row.scheduled_at, row.send_ts, row.txn_key);
    },
    get(delayId: string): DelayedEventRow | null {
      return db.query<DelayedEventRow, [string]>(GET).get(delayId);
    },
    /** The delay id an earlier request with this transaction key got. */
    byTxn(userId: string, txnKey: string): string | null {
      return db.query<{ delay_id: string }, [string, string]>(BY_TXN).get(userId, txnKey)?.delay_id ?? null;
    },
    /** The user's scheduled events, the next to be sent first. */
    scheduledFor(userId: string): DelayedEventRow[] {
      return db.query<DelayedEventRow, [string]>(SCHEDULED_FOR).all(userId);
    },
    /** The user's finalised events, the latest first. */
    finalisedFor(userId: string): DelayedEventRow[] {
      return db.query<DelayedEventRow, [string]>(FINALISED_FOR).all(userId);
    },
    /** How many events the user has scheduled, and when the next one is due. */
    scheduledCount(userId: string): { count: number; nextSendTs: number | null } {
      const row = db.query<{ n: number; next: number | null }, [string]>(COUNT_SCHEDULED).get(userId)!;
      return { count: row.n, nextSendTs: row.next };
    },
    /** Scheduled events due by `now`, in order of their send time. */
    due(now: number): DelayedEventRow[] {
      return db.query<DelayedEventRow, [number]>(DUE).all(now);
    },
    /** When the next scheduled event is due; null when none is scheduled. */
    nextSendTs(): number | null {
      return db.query<{ next: number | null }, []>(NEXT_DUE).get()?.next ?? null;
    },
    /** Starts a scheduled event's delay again from `now`; false when it is no longer scheduled. */
    restart(delayId: string, now: number): boolean {
      return db.query(RESTART).run(now, delayId).changes > 0;
    },
    /** Records the outcome; false when it was already finalised. */
    finalise(delayId: string, ts: number, outcome: { eventId?: string; error?: string }): boolean {
      return db.query(FINALISE).run(ts, outcome.eventId ?? null, outcome.error ?? null, delayId).changes > 0;
    },
    /** Cancels other users' scheduled events for a state key that `sender` just set; how many. */
    cancelForState(roomId: string, type: string, stateKey: string, sender: string, ts: number, error: string): number {
      return db.query(CANCEL_FOR_STATE).run(ts, error, roomId, type, stateKey, sender).changes;
    },
    /** The (type, state key) pairs of a room that scheduled delayed state events will set. */
    scheduledStateIn(roomId: string): { type: string; state_key: string }[] {
      return db.query<{ type: string; state_key: string }, [string]>(STATE_IN_ROOM).all(roomId);
    },
    /** Forgets the user's finalised events from before `before`, and all but the latest `keep`. */
    prune(userId: string, before: number, keep: number): void {
      db.query(PRUNE).run(userId, before, keep);
    },
  };
}
export type DelayedEventsRepo = ReturnType<typeof createDelayedEventsRepo>;
