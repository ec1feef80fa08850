/**
 * The durable outbound queue: PDUs and EDUs waiting per destination, and each destination's
 * delivery state. A transaction is fixed before it is sent (its id and the last queued row of each
 * kind it carries), so a retry after a failure or a crash resends exactly the same transaction and
 * the receiver's de-duplication applies. The main thread inserts; the sender worker does the rest.
 * The worker's read-then-write transactions take the write lock first (IMMEDIATE): a deferred one
 * would fail at once, not wait, when the main thread committed in between.
 */
import type { Database } from "bun:sqlite";

export type QueueKind = "pdu" | "edu";

export interface QueuedItem {
  id: number;
  payload: string;
}

export interface DestinationState {
  destination: string;
  txn_id: string | null;
  txn_last_pdu: number | null;
  txn_last_edu: number | null;
  failures: number;
  retry_at_ts: number;
}

export interface TransactionBatch {
  txnId: string;
  pdus: QueuedItem[];
  edus: QueuedItem[];
}

const INSERT = "INSERT INTO federation_outbox (destination, kind, payload, created_ts) VALUES (?, ?, ?, ?)";
const SELECT_WAITING = `
  SELECT o.destination AS destination, coalesce(d.retry_at_ts, 0) AS retry_at_ts
  FROM (SELECT DISTINCT destination FROM federation_outbox) o
  LEFT JOIN federation_destinations d ON d.destination = o.destination`;
const SELECT_STATE = "SELECT * FROM federation_destinations WHERE destination = ?";
const SELECT_FIRST = "SELECT id, payload FROM federation_outbox WHERE destination = ? AND kind = ? ORDER BY id LIMIT ?";
const SELECT_UP_TO = "SELECT id, payload FROM federation_outbox WHERE destination = ? AND kind = ? AND id <= ? ORDER BY id";
const START_TXN = `
  INSERT INTO federation_destinations (destination, txn_id, txn_last_pdu, txn_last_edu) VALUES (?, ?, ?, ?)
  ON CONFLICT (destination) DO UPDATE SET
    txn_id = excluded.txn_id, txn_last_pdu = excluded.txn_last_pdu, txn_last_edu = excluded.txn_last_edu`;
const DELETE_UP_TO = "DELETE FROM federation_outbox WHERE destination = ? AND kind = ? AND id <= ?";
const FINISH_TXN = `
  UPDATE federation_destinations SET txn_id = NULL, txn_last_pdu = NULL, txn_last_edu = NULL,
    failures = 0, retry_at_ts = 0, last_success_ts = ?
  WHERE destination = ?`;
const RECORD_FAILURE = "UPDATE federation_destinations SET failures = ?, retry_at_ts = ? WHERE destination = ?";
const RESET_BACKOFF = "UPDATE federation_destinations SET failures = 0, retry_at_ts = 0 WHERE destination = ?";
// Typing and presence say how things are now: once stale, delivering them would only mislead.
const DROP_STALE_EPHEMERAL = `
  DELETE FROM federation_outbox WHERE destination = ? AND kind = 'edu' AND created_ts < ?
    AND json_extract(payload, '$.edu_type') IN ('m.typing', 'm.presence')`;

const TRIM_OLD = "DELETE FROM federation_outbox WHERE destination = ? AND created_ts < ?";
const TRIM_EXCESS = `
  DELETE FROM federation_outbox WHERE destination = ? AND id <= (
    SELECT id FROM federation_outbox WHERE destination = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`;

const SELECT_DEPTHS = "SELECT destination, count(*) AS items FROM federation_outbox GROUP BY destination";

export const MAX_PDUS_PER_TXN = 50;
export const MAX_EDUS_PER_TXN = 100;

export function createFederationQueueRepo(db: Database) {
  function state(destination: string): DestinationState | null {
    return db.query<DestinationState, [string]>(SELECT_STATE).get(destination);
  }
  const first = (destination: string, kind: QueueKind, limit: number) =>
    db.query<QueuedItem, [string, string, number]>(SELECT_FIRST).all(destination, kind, limit);
  const upTo = (destination: string, kind: QueueKind, last: number | null) =>
    last === null ? [] : db.query<QueuedItem, [string, string, number]>(SELECT_UP_TO).all(destination, kind, last);

  return {
    /** Queues one payload for several destinations (inside the caller's transaction, if any). */
    enqueue(destinations: Iterable<string>, kind: QueueKind, payload: string, now: number): void {
      const insert = db.query(INSERT);
      for (const destination of destinations) insert.run(destination, kind, payload, now);
    },

    /** Every destination with something queued, and when it may next be tried. */
    /** Items waiting per destination. */
    depths(): { destination: string; items: number }[] {
      return db.query<{ destination: string; items: number }, []>(SELECT_DEPTHS).all();
    },
    waitingDestinations(): { destination: string; retry_at_ts: number }[] {
      return db.query<{ destination: string; retry_at_ts: number }, []>(SELECT_WAITING).all();
    },

    state,

    /**
     * The transaction to send next: the one already fixed for this destination, else a new one of
     * the oldest items (at most 50 PDUs and 100 EDUs), leaving out typing and presence queued
     * before `staleBefore`; null when nothing is queued.
     */
    nextTransaction(destination: string, newTxnId: string, staleBefore: number): TransactionBatch | null {
      return db.transaction(() => {
        const s = state(destination);
        if (s?.txn_id) {
          const pdus = upTo(destination, "pdu", s.txn_last_pdu);
          const edus = upTo(destination, "edu", s.txn_last_edu);
          if (pdus.length + edus.length > 0) return { txnId: s.txn_id, pdus, edus };
        }
        db.query(DROP_STALE_EPHEMERAL).run(destination, staleBefore);
        const pdus = first(destination, "pdu", MAX_PDUS_PER_TXN);
        const edus = first(destination, "edu", MAX_EDUS_PER_TXN);
        if (pdus.length + edus.length === 0) return null;
        db.query(START_TXN).run(destination, newTxnId, pdus.at(-1)?.id ?? null, edus.at(-1)?.id ?? null);
        return { txnId: newTxnId, pdus, edus };
      }).immediate();
    },

    /** The transaction was accepted: its items leave the queue and the backoff resets. */
    finishTransaction(destination: string, now: number): void {
      db.transaction(() => {
        const s = state(destination);
        if (!s?.txn_id) return;
        if (s.txn_last_pdu !== null) db.query(DELETE_UP_TO).run(destination, "pdu", s.txn_last_pdu);
        if (s.txn_last_edu !== null) db.query(DELETE_UP_TO).run(destination, "edu", s.txn_last_edu);
        db.query(FINISH_TXN).run(now, destination);
      }).immediate();
    },

    recordFailure(destination: string, failures: number, retryAt: number): void {
      db.query(RECORD_FAILURE).run(failures, retryAt, destination);
    },

    /**
     * Bounds the queue of a destination that keeps failing: items queued before `before` go, then
     * the oldest beyond the newest `keep`. Returns how many were dropped.
     */
    trim(destination: string, before: number, keep: number): number {
      return db.transaction(() => {
        const old = db.query(TRIM_OLD).run(destination, before).changes;
        return old + db.query(TRIM_EXCESS).run(destination, destination, keep).changes;
      }).immediate();
    },

    /** The destination contacted us, so it is up: retry at once. */
    resetBackoff(destination: string): void {
      db.query(RESET_BACKOFF).run(destination);
    },
  };
}
export type FederationQueueRepo = ReturnType<typeof createFederationQueueRepo>;
