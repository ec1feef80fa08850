/** Rooms an admin blocked: no local user may join them (again) until the block is lifted. */
import type { Database } from "bun:sqlite";

export interface RoomBlockRow {
  room_id: string;
  blocked_by: string;
  created_ts: number;
}

const UPSERT = "INSERT INTO blocked_rooms (room_id, blocked_by, created_ts) VALUES (?, ?, ?) ON CONFLICT (room_id) DO NOTHING";
const SELECT = "SELECT * FROM blocked_rooms WHERE room_id = ?";
const DELETE = "DELETE FROM blocked_rooms WHERE room_id = ?";

export function createRoomBlocksRepo(db: Database) {
  return {
    /** Blocks the room; an existing block keeps who made it and when. */
    block(roomId: string, by: string, ts: number): void {
      db.query(UPSERT).run(roomId, by, ts);
    },
    get(roomId: string): RoomBlockRow | null {
      return db.query<RoomBlockRow, [string]>(SELECT).get(roomId);
    },
    unblock(roomId: string): boolean {
      return db.query(DELETE).run(roomId).changes > 0;
    },
  };
}
export type RoomBlocksRepo = ReturnType<typeof createRoomBlocksRepo>;
