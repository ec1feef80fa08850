/**
 * Receipts: the latest event each user acknowledged per room, receipt type and thread (thread ''
 * is unthreaded). Each write takes the next receipts stream position.
 */
import type { Database } from "bun:sqlite";
import type { StreamPositions } from "./stream-positions";

export interface ReceiptRow {
  room_id: string;
  receipt_type: string;
  user_id: string;
  thread_id: string;
  event_id: string;
  event_stream: number;
  ts: number;
  stream_id: number;
}

export type NewReceipt = Omit<ReceiptRow, "stream_id">;

const SELECT_EXISTING = `
  SELECT event_stream FROM receipts WHERE room_id = ? AND receipt_type = ? AND user_id = ? AND thread_id = ?`;
const UPSERT = `
  INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, event_stream, ts, stream_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (room_id, receipt_type, user_id, thread_id) DO UPDATE SET
    event_id = excluded.event_id, event_stream = excluded.event_stream, ts = excluded.ts, stream_id = excluded.stream_id`;
const SELECT_SINCE = "SELECT * FROM receipts WHERE stream_id > ? AND stream_id <= ? ORDER BY stream_id";
const SELECT_ROOM = "SELECT * FROM receipts WHERE room_id = ? AND stream_id <= ?";
const SELECT_READ_POSITIONS = `
  SELECT thread_id, MAX(event_stream) AS up_to FROM receipts
  WHERE room_id = ? AND user_id = ? AND receipt_type IN ('m.read', 'm.read.private') GROUP BY thread_id`;

export function createReceiptsRepo(db: Database, streams: StreamPositions) {
  return {
    /**
     * Stores a receipt unless the same user already acknowledged a later event for that type and
     * thread (receipts only move forward). Returns the new stream position, or undefined if ignored.
     */
    putReceipt(r: NewReceipt): number | undefined {
      return db.transaction(() => {
        const existing = db
          .query<{ event_stream: number }, [string, string, string, string]>(SELECT_EXISTING)
          .get(r.room_id, r.receipt_type, r.user_id, r.thread_id);
        if (existing && existing.event_stream >= r.event_stream && r.event_stream > 0) return undefined;
        const streamId = streams.next("receipts");
        db.query(UPSERT).run(r.room_id, r.receipt_type, r.user_id, r.thread_id, r.event_id, r.event_stream, r.ts, streamId);
        return streamId;
      }).immediate(); // reads before it writes: take the write lock first (see db.ts)
    },
    /** Receipts written in (from, to], in every room. */
    receiptsSince(from: number, to: number): ReceiptRow[] {
      return db.query<ReceiptRow, [number, number]>(SELECT_SINCE).all(from, to);
    },
    /** Every receipt of a room as of stream position `to`. */
    receiptsInRoom(roomId: string, to: number): ReceiptRow[] {
      return db.query<ReceiptRow, [string, number]>(SELECT_ROOM).all(roomId, to);
    },
    /** How far the user read the room per receipt thread ('' unthreaded), public or private receipt. */
    readPositions(roomId: string, userId: string): { thread_id: string; up_to: number }[] {
      return db.query<{ thread_id: string; up_to: number }, [string, string]>(SELECT_READ_POSITIONS).all(roomId, userId);
    },
    position(): number {
      return streams.current("receipts");
    },
  };
}
export type ReceiptsRepo = ReturnType<typeof createReceiptsRepo>;
