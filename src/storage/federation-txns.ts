/**
 * Transactions received from other servers, kept for a while with the answer we gave, so that a
 * retried or replayed transaction is answered again without being processed twice.
 */
import type { Database } from "bun:sqlite";

const SELECT = "SELECT response FROM federation_inbound_txns WHERE origin = ? AND txn_id = ?";
const INSERT = `
  INSERT INTO federation_inbound_txns (origin, txn_id, response, received_ts) VALUES (?, ?, ?, ?)
  ON CONFLICT (origin, txn_id) DO NOTHING`;
const PRUNE = "DELETE FROM federation_inbound_txns WHERE received_ts < ?";

export function createFederationTxnsRepo(db: Database) {
  return {
    /** The answer given to this transaction before (JSON), if it was seen. */
    getResponse(origin: string, txnId: string): string | null {
      return db.query<{ response: string }, [string, string]>(SELECT).get(origin, txnId)?.response ?? null;
    },
    recordResponse(origin: string, txnId: string, response: string, now: number): void {
      db.query(INSERT).run(origin, txnId, response, now);
    },
    /** Forgets transactions received before `cutoff`. */
    prune(cutoff: number): void {
      db.query(PRUNE).run(cutoff);
    },
  };
}
export type FederationTxnsRepo = ReturnType<typeof createFederationTxnsRepo>;
