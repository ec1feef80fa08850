/**
 * Simplified sliding sync (MSC4186): each connection's acknowledged and pending responses (their
 * stream positions, list counts and what they sent of each room), and the recency reads the room
 * list is ordered by (a room's newest event, and its newest event of the types that bump it).
 */
import type { Database } from "bun:sqlite";

// Rows clients may see in order: not outliers, not rejected, not soft-failed.
const TIMELINE = "outlier = 0 AND rejected_reason IS NULL AND soft_failed = 0";

export interface SlidingConnectionRow {
  id: number;
  user_id: string;
  device_id: string;
  conn_id: string;
  last_used: number;
}

export interface SlidingPositionRow {
  token: string;
  lists: string;
}

export interface RoomRecencyRow {
  room_id: string;
  latest: number;
  bump: number | null;
}

const SELECT_CONNECTION = "SELECT * FROM sliding_sync_connections WHERE id = ?";
const SELECT_CONNECTION_BY_NAME = "SELECT * FROM sliding_sync_connections WHERE user_id = ? AND device_id = ? AND conn_id = ?";
const INSERT_CONNECTION = "INSERT INTO sliding_sync_connections (user_id, device_id, conn_id, last_used) VALUES (?, ?, ?, ?) RETURNING id";
const TOUCH_CONNECTION = "UPDATE sliding_sync_connections SET last_used = ? WHERE id = ?";
const DELETE_CONNECTION = "DELETE FROM sliding_sync_connections WHERE id = ?";
const DELETE_UNUSED = "DELETE FROM sliding_sync_connections WHERE last_used < ?";
const DEVICE_CONNECTIONS = "SELECT id FROM sliding_sync_connections WHERE user_id = ? AND device_id = ? ORDER BY last_used DESC";
const SELECT_POSITION = "SELECT token, lists FROM sliding_sync_positions WHERE connection_id = ? AND seq = ?";
const INSERT_POSITION = "INSERT OR REPLACE INTO sliding_sync_positions (connection_id, seq, token, lists) VALUES (?, ?, ?, ?)";
const DELETE_OTHER_POSITIONS = "DELETE FROM sliding_sync_positions WHERE connection_id = ? AND seq != ?";
// What the client holds as of `seq`: each room's newest record at or before it.
const SELECT_ROOMS = `
  SELECT room_id, sent FROM sliding_sync_rooms AS r
  WHERE connection_id = ?1 AND seq = (
    SELECT MAX(seq) FROM sliding_sync_rooms WHERE connection_id = ?1 AND room_id = r.room_id AND seq <= ?2)`;
const DELETE_ROOMS_AFTER = "DELETE FROM sliding_sync_rooms WHERE connection_id = ? AND seq > ?";
const DELETE_SUPERSEDED_ROOMS = `
  DELETE FROM sliding_sync_rooms AS r WHERE connection_id = ?1 AND seq < ?2 AND EXISTS (
    SELECT 1 FROM sliding_sync_rooms AS n
    WHERE n.connection_id = ?1 AND n.room_id = r.room_id AND n.seq > r.seq AND n.seq <= ?2)`;
const INSERT_ROOM = "INSERT OR REPLACE INTO sliding_sync_rooms (connection_id, room_id, seq, sent) VALUES (?, ?, ?, ?)";
const RECENCY_IN_RANGE = (bumpTypes: string) => `
  SELECT room_id, MAX(stream_ordering) AS latest,
    MAX(CASE WHEN type IN (${bumpTypes}) THEN stream_ordering END) AS bump
  FROM events WHERE stream_ordering > ? AND stream_ordering <= ? AND ${TIMELINE} GROUP BY room_id`;
const LATEST_OF_TYPES = (bumpTypes: string) => `
  SELECT stream_ordering FROM events WHERE room_id = ? AND stream_ordering <= ? AND type IN (${bumpTypes}) AND ${TIMELINE}
  ORDER BY stream_ordering DESC LIMIT 1`;

/** `types` as a SQL list of string literals (they are constants of the caller, never user input). */
function sqlList(types: readonly string[]): string {
  return types.map((t) => `'${t.replaceAll("'", "''")}'`).join(", ");
}

export function createSlidingSyncRepo(db: Database) {
  return {
    connection(id: number): SlidingConnectionRow | null {
      return db.query<SlidingConnectionRow, [number]>(SELECT_CONNECTION).get(id);
    },
    connectionNamed(userId: string, deviceId: string, connId: string): SlidingConnectionRow | null {
      return db.query<SlidingConnectionRow, [string, string, string]>(SELECT_CONNECTION_BY_NAME).get(userId, deviceId, connId);
    },
    createConnection(userId: string, deviceId: string, connId: string, now: number): number {
      return db.query<{ id: number }, [string, string, string, number]>(INSERT_CONNECTION).get(userId, deviceId, connId, now)!.id;
    },
    touchConnection(id: number, now: number): void {
      db.query(TOUCH_CONNECTION).run(now, id);
    },
    deleteConnection(id: number): void {
      db.query(DELETE_CONNECTION).run(id);
    },
    /** Drops connections unused since `before`; returns how many. */
    deleteUnused(before: number): number {
      return db.query(DELETE_UNUSED).run(before).changes;
    },
    /** The device's connections, most recently used first. */
    deviceConnections(userId: string, deviceId: string): number[] {
      return db.query<{ id: number }, [string, string]>(DEVICE_CONNECTIONS).all(userId, deviceId).map((r) => r.id);
    },
    position(connectionId: number, seq: number): SlidingPositionRow | null {
      return db.query<SlidingPositionRow, [number, number]>(SELECT_POSITION).get(connectionId, seq);
    },
    /** What the client holds once it acknowledged `seq`: each room's newest record up to it. */
    rooms(connectionId: number, seq: number): { room_id: string; sent: string }[] {
      return db.query<{ room_id: string; sent: string }, [number, number]>(SELECT_ROOMS).all(connectionId, seq);
    },
    /**
     * The client came back with `seq`: responses after it were never processed (their rows go),
     * positions before it and room records it supersedes are no longer needed.
     */
    acknowledge(connectionId: number, seq: number): void {
      db.query(DELETE_OTHER_POSITIONS).run(connectionId, seq);
      db.query(DELETE_ROOMS_AFTER).run(connectionId, seq);
      db.query(DELETE_SUPERSEDED_ROOMS).run(connectionId, seq);
    },
    /** Records response `seq`: where it ended and what it sent of each room. */
    recordResponse(connectionId: number, seq: number, token: string, lists: string, rooms: Iterable<[roomId: string, sent: string]>): void {
      db.query(INSERT_POSITION).run(connectionId, seq, token, lists);
      const insert = db.query(INSERT_ROOM);
      for (const [roomId, sent] of rooms) insert.run(connectionId, roomId, seq, sent);
    },

    /** Per room with timeline events in (from, to]: the newest one, and the newest of `bumpTypes`. */
    recencyInRange(from: number, to: number, bumpTypes: readonly string[]): RoomRecencyRow[] {
      return db.query<RoomRecencyRow, [number, number]>(RECENCY_IN_RANGE(sqlList(bumpTypes))).all(from, to);
    },
    /** The room's newest timeline event of `types` at or before `to` (0 if none). */
    latestOfTypes(roomId: string, to: number, types: readonly string[]): number {
      return db.query<{ stream_ordering: number }, [string, number]>(LATEST_OF_TYPES(sqlList(types))).get(roomId, to)?.stream_ordering ?? 0;
    },
  };
}
export type SlidingSyncRepo = ReturnType<typeof createSlidingSyncRepo>;
