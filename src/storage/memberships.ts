/**
 * Current membership of every (room, user) pair, with the event and stream position that set it:
 * what `/sync`, `/joined_rooms` and membership checks read without walking state.
 */
import type { Database } from "bun:sqlite";

export interface MembershipRow {
  room_id: string;
  user_id: string;
  membership: string;
  event_id: string;
  stream_ordering: number;
  sender: string;
  forgotten: number;
}

const UPSERT = `
  INSERT INTO room_memberships (room_id, user_id, membership, event_id, stream_ordering, sender, forgotten)
  VALUES (?, ?, ?, ?, ?, ?, 0)
  ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership, event_id = excluded.event_id,
    stream_ordering = excluded.stream_ordering, sender = excluded.sender, forgotten = 0`;
const SELECT = "SELECT * FROM room_memberships WHERE room_id = ? AND user_id = ?";
const SELECT_FOR_USER = "SELECT * FROM room_memberships WHERE user_id = ? AND forgotten = 0";
const SELECT_USERS_IN = "SELECT user_id FROM room_memberships WHERE room_id = ? AND membership = ?";
const COUNT_IN = "SELECT COUNT(*) AS n FROM room_memberships WHERE room_id = ? AND membership = ?";
const SELECT_CHANGED = "SELECT user_id, membership FROM room_memberships WHERE room_id = ? AND stream_ordering > ? AND stream_ordering <= ?";
// Whether some room has joined members of both servers (the server part of a user id follows its first ':').
const SERVERS_SHARE_ROOM = `
  SELECT 1 FROM room_memberships a JOIN room_memberships b ON a.room_id = b.room_id
  WHERE a.membership = 'join' AND b.membership = 'join'
    AND substr(a.user_id, instr(a.user_id, ':') + 1) = ? AND substr(b.user_id, instr(b.user_id, ':') + 1) = ?
  LIMIT 1`;
// One statement for every room the user is joined to (the (room_id, stream_ordering) index per room).
const SELECT_CHANGED_IN_JOINED = `
  SELECT c.room_id, c.user_id, c.membership FROM room_memberships m
  JOIN room_memberships c ON c.room_id = m.room_id AND c.stream_ordering > ? AND c.stream_ordering <= ?
  WHERE m.user_id = ? AND m.membership = 'join'`;
const FORGET = "UPDATE room_memberships SET forgotten = 1 WHERE room_id = ? AND user_id = ?";

export function createMembershipsRepo(db: Database) {
  return {
    set(roomId: string, userId: string, membership: string, eventId: string, stream: number, sender: string): void {
      db.query(UPSERT).run(roomId, userId, membership, eventId, stream, sender);
    },
    get(roomId: string, userId: string): MembershipRow | null {
      return db.query<MembershipRow, [string, string]>(SELECT).get(roomId, userId);
    },
    /** Every room the user has a membership in that they have not forgotten. */
    forUser(userId: string): MembershipRow[] {
      return db.query<MembershipRow, [string]>(SELECT_FOR_USER).all(userId);
    },
    usersWith(roomId: string, membership: string): string[] {
      return db.query<{ user_id: string }, [string, string]>(SELECT_USERS_IN).all(roomId, membership).map((r) => r.user_id);
    },
    count(roomId: string, membership: string): number {
      return db.query<{ n: number }, [string, string]>(COUNT_IN).get(roomId, membership)?.n ?? 0;
    },
    /** The current membership of everyone whose membership of the room changed in (from, to]. */
    changedSince(roomId: string, from: number, to: number): { user_id: string; membership: string }[] {
      return db.query<{ user_id: string; membership: string }, [string, number, number]>(SELECT_CHANGED).all(roomId, from, to);
    },
    serversShareRoom(ours: string, theirs: string): boolean {
      return db.query(SERVERS_SHARE_ROOM).get(ours, theirs) !== null;
    },
    /** `changedSince` over every room `userId` is joined to now, in one query. */
    changedInJoinedRoomsOf(userId: string, from: number, to: number): { room_id: string; user_id: string; membership: string }[] {
      return db
        .query<{ room_id: string; user_id: string; membership: string }, [number, number, string]>(SELECT_CHANGED_IN_JOINED)
        .all(from, to, userId);
    },
    forget(roomId: string, userId: string): void {
      db.query(FORGET).run(roomId, userId);
    },
  };
}
export type MembershipsRepo = ReturnType<typeof createMembershipsRepo>;
