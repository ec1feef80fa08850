/**
 * Events: the PDUs of every room with their global stream order, the prev-event graph, forward
 * extremities, and redactions. Timeline reads return rows in stream or topological order; the PDU
 * itself stays canonical JSON text, parsed only by the caller that needs it.
 */
import type { Database } from "bun:sqlite";

export interface EventRow {
  stream_ordering: number;
  event_id: string;
  room_id: string;
  depth: number;
  type: string;
  state_key: string | null;
  sender: string;
  origin_server_ts: number;
  membership: string | null;
  json: string;
  outlier: number;
  rejected_reason: string | null;
  soft_failed: number;
  redacted_by: string | null;
  state_before: number | null;
  state_after: number | null;
  replaces_state: string | null;
  received_ts: number;
  /** For a local event sent with a transaction id: the sending device and that id. */
  txn_device_id: string | null;
  txn_id: string | null;
  /** For a local event a delayed event (MSC4140) sent: that delay's id. */
  delay_id: string | null;
}

/** An event to insert: the row without what the database assigns or later changes. */
export type NewEvent = Omit<EventRow, "stream_ordering" | "redacted_by" | "outlier" | "soft_failed" | "txn_device_id" | "txn_id" | "delay_id"> & {
  outlier: boolean;
  soft_failed: boolean;
  txn_device_id?: string | null;
  txn_id?: string | null;
  delay_id?: string | null;
};

/** A position between two events in a room's topological order: just after (depth, stream). */
export interface TopologicalPosition {
  depth: number;
  stream: number;
}

const INSERT = `
  INSERT INTO events (event_id, room_id, depth, type, state_key, sender, origin_server_ts, membership, json,
    outlier, rejected_reason, soft_failed, state_before, state_after, replaces_state, received_ts, txn_device_id, txn_id, delay_id)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)`;
// Backfilled history goes below every stream position (negative): /sync, which reads forwards from
// a position, never sees it as new, while /messages orders it by depth.
const INSERT_BACKFILLED = `
  INSERT INTO events (stream_ordering, event_id, room_id, depth, type, state_key, sender, origin_server_ts, membership,
    json, outlier, rejected_reason, soft_failed, state_before, state_after, replaces_state, received_ts, txn_device_id, txn_id, delay_id)
  VALUES ((SELECT min(coalesce(min(stream_ordering), 0), 0) - 1 FROM events),
    ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)`;
const SELECT_BY_ID = "SELECT * FROM events WHERE event_id = ?";
const SELECT_MAX_STREAM = "SELECT COALESCE(MAX(stream_ordering), 0) AS s FROM events";
const SELECT_EXTREMITIES = "SELECT event_id FROM forward_extremities WHERE room_id = ?";
const DELETE_EXTREMITY = "DELETE FROM forward_extremities WHERE room_id = ? AND event_id = ?";
const INSERT_EXTREMITY = "INSERT OR IGNORE INTO forward_extremities (room_id, event_id) VALUES (?, ?)";
const SET_REDACTED_BY = "UPDATE events SET redacted_by = ? WHERE event_id = ? AND redacted_by IS NULL";
const INSERT_REDACTION = "INSERT OR IGNORE INTO redactions (event_id, redacts, room_id) VALUES (?, ?, ?)";
const SELECT_REDACTIONS_OF = "SELECT event_id FROM redactions WHERE redacts = ?";
const DELETE_OUTLIER = "DELETE FROM events WHERE event_id = ? AND outlier = 1";

// Timeline rows are those clients may see in order: not outliers, not rejected, not soft-failed.
const TIMELINE = "outlier = 0 AND rejected_reason IS NULL AND soft_failed = 0";
const SELECT_STREAM_RANGE_DESC = `
  SELECT * FROM events WHERE room_id = ?1 AND stream_ordering > ?2 AND stream_ordering <= ?3 AND ${TIMELINE}
  ORDER BY stream_ordering DESC LIMIT ?4`;
const SELECT_STREAM_RANGE_ASC = `
  SELECT * FROM events WHERE room_id = ?1 AND stream_ordering > ?2 AND stream_ordering <= ?3 AND ${TIMELINE}
  ORDER BY stream_ordering LIMIT ?4`;
const SELECT_BACKWARDS = `
  SELECT * FROM events WHERE room_id = ?1 AND ${TIMELINE}
    AND (depth < ?2 OR (depth = ?2 AND stream_ordering <= ?3))
    AND (depth > ?4 OR (depth = ?4 AND stream_ordering > ?5))
  ORDER BY depth DESC, stream_ordering DESC LIMIT ?6`;
const SELECT_FORWARDS = `
  SELECT * FROM events WHERE room_id = ?1 AND ${TIMELINE}
    AND (depth > ?2 OR (depth = ?2 AND stream_ordering > ?3))
    AND (depth < ?4 OR (depth = ?4 AND stream_ordering <= ?5))
  ORDER BY depth, stream_ordering LIMIT ?6`;
const SELECT_LAST_AT_STREAM = `
  SELECT depth, stream_ordering AS stream FROM events WHERE room_id = ? AND stream_ordering <= ? AND ${TIMELINE}
  ORDER BY depth DESC, stream_ordering DESC LIMIT 1`;
const SELECT_CLOSEST_BEFORE_TS = `
  SELECT * FROM events WHERE room_id = ? AND origin_server_ts <= ? AND ${TIMELINE}
  ORDER BY origin_server_ts DESC, stream_ordering DESC LIMIT 1`;
const SELECT_CLOSEST_AFTER_TS = `
  SELECT * FROM events WHERE room_id = ? AND origin_server_ts >= ? AND ${TIMELINE}
  ORDER BY origin_server_ts, stream_ordering LIMIT 1`;
const SELECT_MEMBERSHIP_STREAMS = `
  SELECT stream_ordering FROM events WHERE room_id = ? AND type = 'm.room.member' AND state_key = ?
    AND membership = ? AND ${TIMELINE} ORDER BY stream_ordering`;

export function createEventsRepo(db: Database) {
  const insert = db.query(INSERT);
  const byId = db.query<EventRow, [string]>(SELECT_BY_ID);

  return {
    /**
     * Inserts one event and returns its stream ordering: the next in the global order, or for
     * backfilled history the next below every other (negative).
     */
    insert(e: NewEvent, opts: { backfilled?: boolean } = {}): number {
      const res = (opts.backfilled ? db.query(INSERT_BACKFILLED) : insert).run(
        e.event_id, e.room_id, e.depth, e.type, e.state_key, e.sender, e.origin_server_ts, e.membership, e.json,
        e.outlier ? 1 : 0, e.rejected_reason, e.soft_failed ? 1 : 0, e.state_before, e.state_after, e.replaces_state,
        e.received_ts, e.txn_device_id ?? null, e.txn_id ?? null, e.delay_id ?? null,
      );
      return Number(res.lastInsertRowid);
    },

    get(eventId: string): EventRow | null {
      return byId.get(eventId);
    },

    /** The newest stream position: what a token taken now would point at. */
    maxStreamOrdering(): number {
      return db.query<{ s: number }, []>(SELECT_MAX_STREAM).get()?.s ?? 0;
    },

    forwardExtremities(roomId: string): string[] {
      return db.query<{ event_id: string }, [string]>(SELECT_EXTREMITIES).all(roomId).map((r) => r.event_id);
    },

    /** A new event replaces the extremities it cites and becomes one itself. */
    replaceExtremities(roomId: string, cited: readonly string[], added: string): void {
      const del = db.query(DELETE_EXTREMITY);
      for (const id of cited) del.run(roomId, id);
      db.query(INSERT_EXTREMITY).run(roomId, added);
    },

    insertRedaction(redactionId: string, redacts: string, roomId: string): void {
      db.query(INSERT_REDACTION).run(redactionId, redacts, roomId);
    },

    /** Redactions already stored for an event that has only now arrived. */
    redactionsOf(eventId: string): string[] {
      return db.query<{ event_id: string }, [string]>(SELECT_REDACTIONS_OF).all(eventId).map((r) => r.event_id);
    },

    /**
     * Forgets an outlier so that it can be stored again with its place in the graph (federation:
     * an event first fetched only as an auth or state event later arrives in the timeline).
     */
    deleteOutlier(eventId: string): void {
      db.query(DELETE_OUTLIER).run(eventId);
    },
    setRedactedBy(eventId: string, redactionId: string): void {
      db.query(SET_REDACTED_BY).run(redactionId, eventId);
    },

    /** The newest `limit` timeline events with `from < stream <= to`, newest first. */
    streamRangeDesc(roomId: string, from: number, to: number, limit: number): EventRow[] {
      return db.query<EventRow, [string, number, number, number]>(SELECT_STREAM_RANGE_DESC).all(roomId, from, to, limit);
    },

    /** The oldest `limit` timeline events with `from < stream <= to`, oldest first. */
    streamRangeAsc(roomId: string, from: number, to: number, limit: number): EventRow[] {
      return db.query<EventRow, [string, number, number, number]>(SELECT_STREAM_RANGE_ASC).all(roomId, from, to, limit);
    },

    /** Timeline events at or before `from` and after `to`, newest first (`/messages` dir=b). */
    backwards(roomId: string, from: TopologicalPosition, to: TopologicalPosition, limit: number): EventRow[] {
      return db
        .query<EventRow, [string, number, number, number, number, number]>(SELECT_BACKWARDS)
        .all(roomId, from.depth, from.stream, to.depth, to.stream, limit);
    },

    /** Timeline events after `from` and at or before `to`, oldest first (`/messages` dir=f). */
    forwards(roomId: string, from: TopologicalPosition, to: TopologicalPosition, limit: number): EventRow[] {
      return db
        .query<EventRow, [string, number, number, number, number, number]>(SELECT_FORWARDS)
        .all(roomId, from.depth, from.stream, to.depth, to.stream, limit);
    },

    /** The topological position of the last timeline event persisted at or before stream `stream`. */
    lastPositionAtStream(roomId: string, stream: number): TopologicalPosition | null {
      return db.query<TopologicalPosition, [string, number]>(SELECT_LAST_AT_STREAM).get(roomId, stream);
    },

    closestByTimestamp(roomId: string, ts: number, dir: "b" | "f"): EventRow | null {
      return db.query<EventRow, [string, number]>(dir === "b" ? SELECT_CLOSEST_BEFORE_TS : SELECT_CLOSEST_AFTER_TS).get(roomId, ts);
    },

    /** The stream positions at which `userId` took `membership` in the room, oldest first. */
    membershipStreams(roomId: string, userId: string, membership: string): number[] {
      return db
        .query<{ stream_ordering: number }, [string, string, string]>(SELECT_MEMBERSHIP_STREAMS)
        .all(roomId, userId, membership)
        .map((r) => r.stream_ordering);
    },
  };
}
export type EventsRepo = ReturnType<typeof createEventsRepo>;
