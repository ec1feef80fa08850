/**
 * The durable queue of what each application service is sent (spec "Pushing events"): events,
 * ephemeral data, to-device messages, device list changes and key counts, in the order they were
 * queued, and each appservice's delivery state. A transaction is fixed before it is sent (the last
 * queued row it carries), so a retry after a failure or a restart resends exactly the same
 * transaction under the same id: the spec forbids adding to a transaction on retries. The main
 * thread inserts (inside the transaction that stores the event); the appservice sender does the
 * rest, through its own connection, so its read-then-write transactions are IMMEDIATE.
 */
import type { Database } from "bun:sqlite";
import type { AppserviceItemKind } from "../core";

export type { AppserviceItemKind };

export interface AppserviceItem {
  id: number;
  kind: AppserviceItemKind;
  payload: string;
}

export interface AppserviceDelivery {
  appservice_id: string;
  txn_last: number | null;
  failures: number;
  retry_at_ts: number;
  last_success_ts: number | null;
}

export interface AppserviceTransaction {
  /** Stable across retries and restarts, and never reused: the id of the last row it carries. */
  txnId: string;
  items: AppserviceItem[];
}

/** At most this many items of each kind in one transaction (Synapse's limits for the first three). */
export const MAX_PER_TRANSACTION: Readonly<Record<AppserviceItemKind, number>> = {
  event: 100,
  ephemeral: 100,
  to_device: 100,
  device_list: 100,
  key_counts: 100,
};
const MAX_ROWS = Object.values(MAX_PER_TRANSACTION).reduce((a, b) => a + b, 0);

const INSERT = "INSERT INTO appservice_outbox (appservice_id, kind, payload, created_ts) VALUES (?, ?, ?, ?)";
const SELECT_WAITING = `
  SELECT o.appservice_id AS appservice_id, coalesce(d.retry_at_ts, 0) AS retry_at_ts
  FROM (SELECT DISTINCT appservice_id FROM appservice_outbox) o
  LEFT JOIN appservice_delivery d ON d.appservice_id = o.appservice_id`;
const SELECT_STATE = "SELECT * FROM appservice_delivery WHERE appservice_id = ?";
const SELECT_FIRST = "SELECT id, kind, payload FROM appservice_outbox WHERE appservice_id = ? ORDER BY id LIMIT ?";
const SELECT_UP_TO = "SELECT id, kind, payload FROM appservice_outbox WHERE appservice_id = ? AND id <= ? ORDER BY id";
const COUNT = "SELECT count(*) AS n FROM appservice_outbox WHERE appservice_id = ?";
const START_TXN = `
  INSERT INTO appservice_delivery (appservice_id, txn_last) VALUES (?, ?)
  ON CONFLICT (appservice_id) DO UPDATE SET txn_last = excluded.txn_last`;
const DELETE_UP_TO = "DELETE FROM appservice_outbox WHERE appservice_id = ? AND id <= ?";
const FINISH_TXN = `
  UPDATE appservice_delivery SET txn_last = NULL, failures = 0, retry_at_ts = 0, last_success_ts = ?
  WHERE appservice_id = ?`;
const RECORD_FAILURE = `
  INSERT INTO appservice_delivery (appservice_id, failures, retry_at_ts) VALUES (?, ?, ?)
  ON CONFLICT (appservice_id) DO UPDATE SET failures = excluded.failures, retry_at_ts = excluded.retry_at_ts`;
const RESET_BACKOFF = "UPDATE appservice_delivery SET failures = 0, retry_at_ts = 0 WHERE appservice_id = ?";
// Typing and presence say how things are now: once stale, delivering them would only mislead.
const DROP_STALE_EPHEMERAL = `
  DELETE FROM appservice_outbox WHERE appservice_id = ? AND kind = 'ephemeral' AND created_ts < ?
    AND json_extract(payload, '$.type') IN ('m.typing', 'm.presence')`;
const DELETE_QUEUE = "DELETE FROM appservice_outbox WHERE appservice_id = ?";
const DELETE_STATE = "DELETE FROM appservice_delivery WHERE appservice_id = ?";

/** The leading rows that fit one transaction: it stops at the first row whose kind is full, keeping order. */
function leadingBatch(rows: AppserviceItem[]): AppserviceItem[] {
  const counts: Record<AppserviceItemKind, number> = { event: 0, ephemeral: 0, to_device: 0, device_list: 0, key_counts: 0 };
  let n = 0;
  for (const row of rows) {
    if (counts[row.kind] === MAX_PER_TRANSACTION[row.kind]) break;
    counts[row.kind]++;
    n++;
  }
  return rows.slice(0, n);
}

export function createAppserviceQueueRepo(db: Database) {
  const state = (appserviceId: string) => db.query<AppserviceDelivery, [string]>(SELECT_STATE).get(appserviceId);

  /** Fixes a new transaction of the oldest items (inside the caller's transaction); null when none wait. */
  function fixNew(appserviceId: string, staleBefore: number): AppserviceTransaction | null {
    db.query(DROP_STALE_EPHEMERAL).run(appserviceId, staleBefore);
    const items = leadingBatch(db.query<AppserviceItem, [string, number]>(SELECT_FIRST).all(appserviceId, MAX_ROWS));
    if (items.length === 0) return null;
    const last = items.at(-1)!.id;
    db.query(START_TXN).run(appserviceId, last);
    return { txnId: String(last), items };
  }

  return {
    /** Queues one item (inside the caller's transaction, if any). */
    enqueue(appserviceId: string, kind: AppserviceItemKind, payload: string, now: number): void {
      db.query(INSERT).run(appserviceId, kind, payload, now);
    },

    /** Every appservice with something queued, and when it may next be tried. */
    waiting(): { appservice_id: string; retry_at_ts: number }[] {
      return db.query<{ appservice_id: string; retry_at_ts: number }, []>(SELECT_WAITING).all();
    },

    state,

    /** How many items wait for this appservice. */
    depth(appserviceId: string): number {
      return db.query<{ n: number }, [string]>(COUNT).get(appserviceId)?.n ?? 0;
    },

    /**
     * The transaction to send next: the one already fixed for this appservice, else a new one of
     * the oldest items (at most `MAX_PER_TRANSACTION` of each kind), leaving out typing and presence
     * queued before `staleBefore`; null when nothing is queued.
     */
    nextTransaction(appserviceId: string, staleBefore: number): AppserviceTransaction | null {
      // A read first: a sender woken with nothing left to send takes no write lock.
      if (db.query<AppserviceItem, [string, number]>(SELECT_FIRST).get(appserviceId, 1) === null) return null;
      return db.transaction(() => {
        const fixed = state(appserviceId)?.txn_last ?? null;
        if (fixed !== null) {
          const items = db.query<AppserviceItem, [string, number]>(SELECT_UP_TO).all(appserviceId, fixed);
          if (items.length > 0) return { txnId: String(fixed), items };
        }
        return fixNew(appserviceId, staleBefore);
      }).immediate();
    },

    /**
     * The appservice accepted the transaction: its items leave the queue and the backoff resets.
     * With `staleBefore`, the next transaction is fixed in the same write and returned (one
     * commit per transaction delivered, not two).
     */
    finishTransaction(appserviceId: string, now: number, staleBefore?: number): AppserviceTransaction | null {
      return db.transaction(() => {
        const last = state(appserviceId)?.txn_last ?? null;
        if (last !== null) {
          db.query(DELETE_UP_TO).run(appserviceId, last);
          db.query(FINISH_TXN).run(now, appserviceId);
        }
        return staleBefore === undefined ? null : fixNew(appserviceId, staleBefore);
      }).immediate();
    },

    recordFailure(appserviceId: string, failures: number, retryAt: number): void {
      db.query(RECORD_FAILURE).run(appserviceId, failures, retryAt);
    },

    /** Retry at once (the appservice showed it is up, e.g. by calling us or an admin asked). */
    resetBackoff(appserviceId: string): void {
      db.query(RESET_BACKOFF).run(appserviceId);
    },

    /** Drops everything queued for an appservice and its delivery state (it was unregistered). */
    clear(appserviceId: string): void {
      db.transaction(() => {
        db.query(DELETE_QUEUE).run(appserviceId);
        db.query(DELETE_STATE).run(appserviceId);
      }).immediate();
    },
  };
}
export type AppserviceQueueRepo = ReturnType<typeof createAppserviceQueueRepo>;
