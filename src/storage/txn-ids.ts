/**
 * Client transaction ids: the event a (user, device, endpoint, txn id) produced, so a retried
 * request returns the first result, and the sender's own device sees `unsigned.transaction_id`.
 */
import type { Database } from "bun:sqlite";

const INSERT = `INSERT OR IGNORE INTO txn_ids (user_id, device_id, endpoint, txn_id, event_id, created_ts)
  VALUES (?, ?, ?, ?, ?, ?)`;
const SELECT = "SELECT event_id FROM txn_ids WHERE user_id = ? AND device_id = ? AND endpoint = ? AND txn_id = ?";
const SELECT_FOR_EVENT = "SELECT txn_id FROM txn_ids WHERE event_id = ? AND user_id = ? AND device_id = ?";

export function createTxnIdsRepo(db: Database) {
  return {
    insert(userId: string, deviceId: string, endpoint: string, txnId: string, eventId: string, ts: number): void {
      db.query(INSERT).run(userId, deviceId, endpoint, txnId, eventId, ts);
    },
    eventFor(userId: string, deviceId: string, endpoint: string, txnId: string): string | null {
      return db.query<{ event_id: string }, [string, string, string, string]>(SELECT).get(userId, deviceId, endpoint, txnId)?.event_id ?? null;
    },
    /** The txn id that `deviceId` of `userId` used to send `eventId`, if it was that device. */
    txnIdOf(eventId: string, userId: string, deviceId: string): string | null {
      return db.query<{ txn_id: string }, [string, string, string]>(SELECT_FOR_EVENT).get(eventId, userId, deviceId)?.txn_id ?? null;
    },
  };
}
export type TxnIdsRepo = ReturnType<typeof createTxnIdsRepo>;
