/**
 * Durable stream counters for the sync streams stored here (account data, receipts, presence).
 * A writer takes the next position inside its own transaction, so a position is only ever seen
 * once its row is committed, and tokens keep their meaning across restarts.
 */
import type { Database } from "bun:sqlite";

export type StreamName = "account_data" | "receipts" | "presence";

const BUMP = "UPDATE stream_positions SET position = position + 1 WHERE stream = ? RETURNING position";
const CURRENT = "SELECT position FROM stream_positions WHERE stream = ?";

export function createStreamPositions(db: Database) {
  return {
    /** Takes the next position; call inside the transaction that writes the row. */
    next(stream: StreamName): number {
      return db.query<{ position: number }, [string]>(BUMP).get(stream)!.position;
    },
    current(stream: StreamName): number {
      return db.query<{ position: number }, [string]>(CURRENT).get(stream)?.position ?? 0;
    },
  };
}
export type StreamPositions = ReturnType<typeof createStreamPositions>;
