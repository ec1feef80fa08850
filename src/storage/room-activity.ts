/**
 * The reads `/sync` makes over the rooms area's tables: which rooms moved in a stream range and a
 * room's heroes. Kept
 * apart from the rooms repositories because only sync asks these questions, and each one is shaped
 * to touch the rooms that changed rather than every room of the user.
 */
import type { Database } from "bun:sqlite";

// Rows clients may see in order: not outliers, not rejected, not soft-failed.
const TIMELINE = "outlier = 0 AND rejected_reason IS NULL AND soft_failed = 0";

const ROOMS_WITH_EVENTS = `
  SELECT DISTINCT room_id FROM events WHERE stream_ordering > ? AND stream_ordering <= ? AND ${TIMELINE}`;
const LATEST_IN_ROOM = `
  SELECT stream_ordering FROM events WHERE room_id = ? AND stream_ordering <= ? AND ${TIMELINE}
  ORDER BY stream_ordering DESC LIMIT 1`;
const MEMBERS_BY_AGE = (memberships: string) => `
  SELECT user_id FROM room_memberships
  WHERE room_id = ? AND user_id != ? AND membership IN (${memberships})
  ORDER BY stream_ordering LIMIT ?`;
const PRESENT_BY_AGE = MEMBERS_BY_AGE("'join', 'invite'");
const GONE_BY_AGE = MEMBERS_BY_AGE("'leave', 'ban'");

export function createRoomActivityRepo(db: Database) {
  const latest = db.query<{ stream_ordering: number }, [string, number]>(LATEST_IN_ROOM);
  return {
    /** Rooms with a timeline event in (from, to]: cheap when the range is short. */
    roomsWithEvents(from: number, to: number): Set<string> {
      const rows = db.query<{ room_id: string }, [number, number]>(ROOMS_WITH_EVENTS).all(from, to);
      return new Set(rows.map((r) => r.room_id));
    },

    /** The stream position of the room's newest timeline event at or before `to` (0 if none). */
    latestInRoom(roomId: string, to: number): number {
      return latest.get(roomId, to)?.stream_ordering ?? 0;
    },

    /**
     * Up to `limit` members other than `exclude`, oldest membership first: joined or invited ones,
     * or (`gone`) those who left or were banned.
     */
    membersByAge(roomId: string, exclude: string, gone: boolean, limit: number): string[] {
      return db
        .query<{ user_id: string }, [string, string, number]>(gone ? GONE_BY_AGE : PRESENT_BY_AGE)
        .all(roomId, exclude, limit)
        .map((r) => r.user_id);
    },

  };
}
export type RoomActivityRepo = ReturnType<typeof createRoomActivityRepo>;
