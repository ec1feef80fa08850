/**
 * Durable stream counters for the sync streams stored here (account data, receipts, presence,
 * to-device messages, device lists).
 * A writer takes the next position inside its own transaction, so a position is only ever seen
 * once its row is committed, and tokens keep their meaning across restarts.
 */
import type { Database } from "bun:sqlite";

export type StreamName = "account_data" | "receipts" | "presence" | "to_device" | "device_lists";

const BUMP = "UPDATE stream_positions SET position = position + ? WHERE stream = ? RETURNING position";
const CURRENT = "SELECT position FROM stream_positions WHERE stream = ?";

export function createStreamPositions(db: Database) {
  return {
    /** Takes the next position; call inside the transaction that writes the row. */
    next(stream: StreamName): number {
      return db.query<{ position: number }, [number, string]>(BUMP).get(1, stream)!.position;
    },
    /** Takes the next `count` positions at once; returns the last (the first is `last - count + 1`). */
    nextMany(stream: StreamName, count: number): number {
      return db.query<{ position: number }, [number, string]>(BUMP).get(count, stream)!.position;
    },
    current(stream: StreamName): number {
      return db.query<{ position: number }, [string]>(CURRENT).get(stream)?.position ?? 0;
    },
  };
}
export type StreamPositions = ReturnType<typeof createStreamPositions>;
