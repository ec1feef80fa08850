/**
 * Notifications and unread counters. `push_events` holds one row per event that notified local
 * users (the shared outcome plus the members whose outcome differs); `push_counts` the unread
 * notification and highlight counts per (room, user, thread) that /sync reads as they are.
 * Counters change when events are written (one more) and when receipts move (a recount of the
 * rows after the new read position, usually none).
 */
import type { Database } from "bun:sqlite";
import { MAIN_THREAD } from "../core";

export interface PushEventRow {
  stream_ordering: number;
  room_id: string;
  thread_id: string;
  event_id: string;
  sender: string;
  /** JSON actions of members with the shared outcome; null when that outcome does not notify. */
  actions: string | null;
  highlight: number;
  /** JSON object: user id -> actions (or null) for members whose outcome differs. */
  exceptions: string | null;
  ts: number;
}

export interface PushCountRow {
  thread_id: string;
  notifications: number;
  highlights: number;
  read_stream: number;
}

const INSERT_EVENT = `
  INSERT INTO push_events (stream_ordering, room_id, thread_id, event_id, sender, actions, highlight, exceptions, ts)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
// One statement for every user of the list (a JSON array): a big room's members in one call.
// (`WHERE true` tells SQLite the ON CONFLICT belongs to the INSERT, not to the SELECT.)
const ADD_ONE = `
  INSERT INTO push_counts (room_id, user_id, thread_id, notifications, highlights, read_stream)
  SELECT ?1, value, ?2, 1, ?3, 0 FROM json_each(?4) WHERE true
  ON CONFLICT (room_id, user_id, thread_id) DO UPDATE SET
    notifications = notifications + 1, highlights = highlights + excluded.highlights`;
const READ_BY_SENDING = `
  INSERT INTO push_counts (room_id, user_id, thread_id, notifications, highlights, read_stream) VALUES (?, ?, ?, 0, 0, ?)
  ON CONFLICT (room_id, user_id, thread_id) DO UPDATE SET
    notifications = 0, highlights = 0, read_stream = max(read_stream, excluded.read_stream)`;
const SELECT_COUNTS = "SELECT thread_id, notifications, highlights, read_stream FROM push_counts WHERE room_id = ? AND user_id = ?";
const SET_COUNTS = "UPDATE push_counts SET notifications = ?, highlights = ? WHERE room_id = ? AND user_id = ? AND thread_id = ?";
const DELETE_COUNT = "DELETE FROM push_counts WHERE room_id = ? AND user_id = ? AND thread_id = ?";
const DELETE_ROOM_COUNTS = "DELETE FROM push_counts WHERE room_id = ? AND user_id = ?";
const UNREAD_TOTAL = "SELECT coalesce(sum(notifications), 0) AS n FROM push_counts WHERE user_id = ?";
// The by-thread index holds thread events only (migration 024): the main timeline is read through
// the by-room index. The literal 'main' (MAIN_THREAD) lets SQLite use the partial index.
export const SELECT_THREAD_AFTER = `
  SELECT * FROM push_events WHERE room_id = ? AND thread_id = ? AND thread_id <> 'main' AND stream_ordering > ? ORDER BY stream_ordering`;
export const SELECT_MAIN_AFTER = `
  SELECT * FROM push_events
  WHERE room_id = ? AND stream_ordering > ? AND thread_id = 'main' ORDER BY stream_ordering`;
const SELECT_ROOM_BEFORE = `
  SELECT * FROM push_events WHERE room_id = ? AND stream_ordering < ? ORDER BY stream_ordering DESC LIMIT ?`;
const SELECT_EVENT = "SELECT * FROM push_events WHERE stream_ordering = ?";

export function createPushNotificationsRepo(db: Database) {
  return {
    recordEvent(r: PushEventRow): void {
      db.query(INSERT_EVENT).run(r.stream_ordering, r.room_id, r.thread_id, r.event_id, r.sender, r.actions, r.highlight, r.exceptions, r.ts);
    },
    event(stream: number): PushEventRow | null {
      return db.query<PushEventRow, [number]>(SELECT_EVENT).get(stream);
    },
    /** One more unread notification (and highlight) in the thread for each of the users. */
    addNotification(roomId: string, threadId: string, userIds: readonly string[], highlight: boolean): void {
      if (userIds.length > 0) db.query(ADD_ONE).run(roomId, threadId, highlight ? 1 : 0, JSON.stringify(userIds));
    },
    /** The user sent an event into the thread at `stream`: everything before it is read. */
    readBySending(roomId: string, threadId: string, userId: string, stream: number): void {
      db.query(READ_BY_SENDING).run(roomId, userId, threadId, stream);
    },
    /** The user's counters in the room, one per thread that has one. */
    counts(roomId: string, userId: string): PushCountRow[] {
      return db.query<PushCountRow, [string, string]>(SELECT_COUNTS).all(roomId, userId);
    },
    setCounts(roomId: string, userId: string, threadId: string, notifications: number, highlights: number): void {
      db.query(SET_COUNTS).run(notifications, highlights, roomId, userId, threadId);
    },
    deleteCounts(roomId: string, userId: string, threadId: string): void {
      db.query(DELETE_COUNT).run(roomId, userId, threadId);
    },
    /** Drops the user's counters in a room (they left it). */
    deleteRoomCounts(roomId: string, userId: string): void {
      db.query(DELETE_ROOM_COUNTS).run(roomId, userId);
    },
    /** Unread notifications over all the user's rooms (the badge a push carries). */
    unreadTotal(userId: string): number {
      return db.query<{ n: number }, [string]>(UNREAD_TOTAL).get(userId)?.n ?? 0;
    },
    /** Notifying events of one thread after a stream position, oldest first. */
    threadEventsAfter(roomId: string, threadId: string, after: number): PushEventRow[] {
      if (threadId === MAIN_THREAD) return db.query<PushEventRow, [string, number]>(SELECT_MAIN_AFTER).all(roomId, after);
      return db.query<PushEventRow, [string, string, number]>(SELECT_THREAD_AFTER).all(roomId, threadId, after);
    },
    /** Up to `limit` notifying events of a room before a stream position, newest first. */
    roomEventsBefore(roomId: string, before: number, limit: number): PushEventRow[] {
      return db.query<PushEventRow, [string, number, number]>(SELECT_ROOM_BEFORE).all(roomId, before, limit);
    },
  };
}
export type PushNotificationsRepo = ReturnType<typeof createPushNotificationsRepo>;
