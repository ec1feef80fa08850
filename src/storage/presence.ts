/**
 * Presence rows: each user's state, status message and last activity. Every write is a change a
 * client should hear about, and takes the next presence stream position.
 */
import type { Database } from "bun:sqlite";
import type { StreamPositions } from "./stream-positions";

export type PresenceState = "online" | "unavailable" | "offline";

export interface PresenceRow {
  user_id: string;
  state: PresenceState;
  status_msg: string | null;
  last_active_ts: number;
  currently_active: number;
  stream_id: number;
}

export type NewPresence = Omit<PresenceRow, "stream_id">;

const SELECT_ONE = "SELECT * FROM presence WHERE user_id = ?";
const UPSERT = `
  INSERT INTO presence (user_id, state, status_msg, last_active_ts, currently_active, stream_id)
  VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, status_msg = excluded.status_msg,
    last_active_ts = excluded.last_active_ts, currently_active = excluded.currently_active,
    stream_id = excluded.stream_id`;
const SELECT_SINCE = "SELECT * FROM presence WHERE stream_id > ? AND stream_id <= ? ORDER BY stream_id";
const SELECT_USERS = "SELECT * FROM presence WHERE user_id IN (SELECT value FROM json_each(?)) AND stream_id <= ?";

export function createPresenceRepo(db: Database, streams: StreamPositions) {
  return {
    getPresence(userId: string): PresenceRow | null {
      return db.query<PresenceRow, [string]>(SELECT_ONE).get(userId);
    },
    /** Writes a change that clients must see; returns its stream position. */
    putPresence(p: NewPresence): number {
      return db.transaction(() => {
        const streamId = streams.next("presence");
        db.query(UPSERT).run(p.user_id, p.state, p.status_msg, p.last_active_ts, p.currently_active, streamId);
        return streamId;
      })();
    },
    presenceSince(from: number, to: number): PresenceRow[] {
      return db.query<PresenceRow, [number, number]>(SELECT_SINCE).all(from, to);
    },
    presenceOf(userIds: readonly string[], to: number): PresenceRow[] {
      if (userIds.length === 0) return [];
      return db.query<PresenceRow, [string, number]>(SELECT_USERS).all(JSON.stringify(userIds), to);
    },
    position(): number {
      return streams.current("presence");
    },
  };
}
export type PresenceRepo = ReturnType<typeof createPresenceRepo>;
