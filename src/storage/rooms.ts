/** Rooms this server knows: version, creator, directory publication and current state group. */
import type { Database } from "bun:sqlite";

export interface RoomRow {
  room_id: string;
  room_version: string;
  creator: string;
  published: number;
  state_group: number | null;
  created_ts: number;
}

const INSERT = "INSERT INTO rooms (room_id, room_version, creator, created_ts) VALUES (?, ?, ?, ?)";
const SELECT = "SELECT * FROM rooms WHERE room_id = ?";
const SET_PUBLISHED = "UPDATE rooms SET published = ? WHERE room_id = ?";
const SELECT_PUBLISHED = "SELECT room_id FROM rooms WHERE published = 1";
const SELECT_ALL = "SELECT * FROM rooms ORDER BY created_ts, room_id";
const SET_STATE_GROUP = "UPDATE rooms SET state_group = ? WHERE room_id = ?";

export function createRoomsRepo(db: Database) {
  return {
    insert(roomId: string, roomVersion: string, creator: string, createdTs: number): void {
      db.query(INSERT).run(roomId, roomVersion, creator, createdTs);
    },
    get(roomId: string): RoomRow | null {
      return db.query<RoomRow, [string]>(SELECT).get(roomId);
    },
    setPublished(roomId: string, published: boolean): void {
      db.query(SET_PUBLISHED).run(published ? 1 : 0, roomId);
    },
    /** Every room listed in the published room directory. */
    published(): string[] {
      return db.query<{ room_id: string }, []>(SELECT_PUBLISHED).all().map((r) => r.room_id);
    },
    /** Every room this server knows, oldest first (the admin API's room list). */
    all(): RoomRow[] {
      return db.query<RoomRow, []>(SELECT_ALL).all();
    },
    setStateGroup(roomId: string, group: number): void {
      db.query(SET_STATE_GROUP).run(group, roomId);
    },
  };
}
export type RoomsRepo = ReturnType<typeof createRoomsRepo>;
