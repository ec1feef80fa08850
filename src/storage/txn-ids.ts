/**
 * Client transaction ids: the event a (user, device, endpoint, txn id) produced, so a retried
 * request returns the first result, and the sender's own device sees `unsigned.transaction_id`.
 */
import type { Database } from "bun:sqlite";

const INSERT = `INSERT OR IGNORE INTO txn_ids (user_id, device_id, endpoint, txn_id, event_id, created_ts)
  VALUES (?, ?, ?, ?, ?, ?)`;
const SELECT = "SELECT event_id FROM txn_ids WHERE user_id = ? AND device_id = ? AND endpoint = ? AND txn_id = ?";

export function createTxnIdsRepo(db: Database) {
  return {
    insert(userId: string, deviceId: string, endpoint: string, txnId: string, eventId: string, ts: number): void {
      db.query(INSERT).run(userId, deviceId, endpoint, txnId, eventId, ts);
    },
    eventFor(userId: string, deviceId: string, endpoint: string, txnId: string): string | null {
      return db.query<{ event_id: string }, [string, string, string, string]>(SELECT).get(userId, deviceId, endpoint, txnId)?.event_id ?? null;
    },
  };
}
export type TxnIdsRepo = ReturnType<typeof createTxnIdsRepo>;
