/**
 * The full-text index of room events (migration 016): `index` adds an event's searchable
 * text and its room under its stream ordering, inside the persisting transaction; redactions
 * remove both (a trigger). Queries take an FTS5 match expression (core/search/text.ts builds it),
 * the keys to look in and the rooms to search, and read in pages: by recency (newest first, as
 * the index yields them; paged below a stream ordering, so new messages shift nothing) or by rank
 * (bm25, best first, among the newest RANK_WINDOW matches: ranking every match of a very common
 * word would cost ~0.5 s over 200,000 messages; paged by offset).
 */
import type { Database } from "bun:sqlite";
import type { EventRow } from "./events";

/** The searchable keys, as index columns: `content.body`, `content.name`, `content.topic`. */
export type SearchColumn = "body" | "name" | "topic";

export interface SearchText {
  body?: string;
  name?: string;
  topic?: string;
}

export interface SearchQuery {
  /** An FTS5 match expression. */
  match: string;
  columns: readonly SearchColumn[];
  roomIds: readonly string[];
}

/** A hit: the event and its bm25 score (lower is better). */
export type SearchHit = EventRow & { score: number };

/** How many of the newest matches rank order considers. */
export const RANK_WINDOW = 10_000;

const INSERT = "INSERT INTO event_search (rowid, body, name, topic) VALUES (?, ?, ?, ?)";
const INSERT_ROOM = "INSERT INTO event_search_rooms (stream, room) SELECT ?, rowid FROM rooms WHERE room_id = ?";
// ?1 the match, ?2 the room ids (JSON list).
const MATCHES = `
  FROM event_search JOIN event_search_rooms r ON r.stream = event_search.rowid
  WHERE event_search MATCH ?1 AND r.room IN (SELECT rowid FROM rooms WHERE room_id IN (SELECT value FROM json_each(?2)))`;
const HITS = "SELECT event_search.rowid AS stream, event_search.rank AS score";
const WITH_EVENTS = "SELECT e.*, h.score FROM h JOIN events e ON e.stream_ordering = h.stream";
const BY_RANK = `
  WITH w AS (${HITS} ${MATCHES} ORDER BY event_search.rowid DESC LIMIT ${RANK_WINDOW}),
    h AS (SELECT * FROM w ORDER BY score, stream DESC LIMIT ?3 OFFSET ?4)
  ${WITH_EVENTS} ORDER BY h.score, h.stream DESC`;
const BY_RECENT = `
  WITH h AS (${HITS} ${MATCHES} AND event_search.rowid < ?3 ORDER BY event_search.rowid DESC LIMIT ?4)
  ${WITH_EVENTS} ORDER BY h.stream DESC`;
const COUNT = `SELECT COUNT(*) AS n ${MATCHES}`;
const SIZE = "SELECT COALESCE(SUM(pgsize), 0) AS bytes FROM dbstat WHERE name LIKE 'event_search%'";

/** The match restricted to the given columns (FTS5 column filter). */
const inColumns = (q: SearchQuery) => `{${q.columns.join(" ")}} : (${q.match})`;

export function createSearchRepo(db: Database) {
  const insert = db.query(INSERT);
  const insertRoom = db.query(INSERT_ROOM);
  return {
    /** Indexes one event's text and room under its stream ordering (keys it lacks stay empty). */
    index(stream: number, roomId: string, text: SearchText): void {
      insert.run(stream, text.body ?? null, text.name ?? null, text.topic ?? null);
      insertRoom.run(stream, roomId);
    },
    /** Best matches first among the newest RANK_WINDOW, skipping `offset`. */
    byRank(q: SearchQuery, offset: number, limit: number): SearchHit[] {
      return db.query<SearchHit, (string | number)[]>(BY_RANK).all(inColumns(q), JSON.stringify(q.roomIds), limit, offset);
    },
    /** Newest matches first, below stream ordering `before`. */
    byRecent(q: SearchQuery, before: number, limit: number): SearchHit[] {
      return db.query<SearchHit, (string | number)[]>(BY_RECENT).all(inColumns(q), JSON.stringify(q.roomIds), before, limit);
    },
    /** How many events match in all (before visibility). */
    count(q: SearchQuery): number {
      return db.query<{ n: number }, string[]>(COUNT).get(inColumns(q), JSON.stringify(q.roomIds))!.n;
    },
    /** Bytes the index takes on disk (for the benchmark). */
    sizeBytes(): number {
      return db.query<{ bytes: number }, []>(SIZE).get()!.bytes;
    },
  };
}
export type SearchRepo = ReturnType<typeof createSearchRepo>;
