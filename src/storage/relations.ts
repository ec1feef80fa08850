/**
 * Relations and threads: which timeline events relate to which parent (`event_relations`), and
 * per thread root its latest reply and reply count (`threads`). Pages of children and thread roots
 * come back as event rows; the batch reads take a page's event ids at once (one query per page).
 */
import type { Database } from "bun:sqlite";
import type { EventRow, TopologicalPosition } from "./events";

export interface RelationRow {
  event_id: string;
  room_id: string;
  relates_to: string;
  rel_type: string;
  type: string;
  sender: string;
  depth: number;
  stream_ordering: number;
}

export interface ChildrenQuery {
  parentId: string;
  roomId: string;
  relType?: string;
  eventType?: string;
  dir: "b" | "f";
  /** Exclusive of `to`, inclusive of `from` going back (as /messages): see TopologicalPosition. */
  from: TopologicalPosition;
  to: TopologicalPosition;
  limit: number;
  /** How many levels of relations to follow (1: direct children only). */
  depth: number;
}

/** A thread root's summary row: the latest reply as an event row, and the count. */
export type ThreadSummaryRow = EventRow & { root_id: string; reply_count: number };
/** A child of one of the queried parents, with its relation. */
export type ChildRow = EventRow & { relates_to: string; rel_type: string };
/** A thread root event row with its thread's activity position. */
export type ThreadRootRow = EventRow & { thread_position: number };

const INSERT = `
  INSERT OR IGNORE INTO event_relations (event_id, room_id, relates_to, rel_type, type, sender, depth, stream_ordering)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
const SELECT = "SELECT * FROM event_relations WHERE event_id = ?";
const DELETE = "DELETE FROM event_relations WHERE event_id = ?";
// The reply replaces the latest when it comes later in the room's topological order.
const ADD_THREAD_REPLY = `
  INSERT INTO threads (root_id, room_id, latest_event_id, latest_depth, latest_stream, reply_count)
  VALUES (?1, ?2, ?3, ?4, ?5, 1)
  ON CONFLICT (root_id) DO UPDATE SET
    reply_count = reply_count + 1,
    latest_event_id = CASE WHEN (excluded.latest_depth, excluded.latest_stream) > (latest_depth, latest_stream) THEN excluded.latest_event_id ELSE latest_event_id END,
    latest_stream = CASE WHEN (excluded.latest_depth, excluded.latest_stream) > (latest_depth, latest_stream) THEN excluded.latest_stream ELSE latest_stream END,
    latest_depth = CASE WHEN (excluded.latest_depth, excluded.latest_stream) > (latest_depth, latest_stream) THEN excluded.latest_depth ELSE latest_depth END`;
const DELETE_THREAD = "DELETE FROM threads WHERE root_id = ?";
const RECOUNT_THREAD = `
  INSERT INTO threads (root_id, room_id, latest_event_id, latest_depth, latest_stream, reply_count)
  SELECT relates_to, room_id, event_id, depth, stream_ordering,
    (SELECT count(*) FROM event_relations WHERE relates_to = ?1 AND rel_type = 'm.thread')
  FROM event_relations WHERE relates_to = ?1 AND rel_type = 'm.thread'
  ORDER BY depth DESC, stream_ordering DESC LIMIT 1`;

const IDS = "SELECT value FROM json_each(?1)";
const SELECT_THREAD_SUMMARIES = `
  SELECT e.*, t.root_id, t.reply_count FROM threads t JOIN events e ON e.event_id = t.latest_event_id
  WHERE t.root_id IN (${IDS})`;
const SELECT_PARTICIPATED = `
  SELECT value AS root_id FROM json_each(?1)
  WHERE EXISTS (SELECT 1 FROM event_relations WHERE relates_to = value AND rel_type = 'm.thread' AND sender = ?2)`;
const SELECT_CHILDREN_OF = `
  SELECT e.*, r.relates_to, r.rel_type FROM event_relations r JOIN events e ON e.event_id = r.event_id
  WHERE r.relates_to IN (${IDS}) AND r.rel_type IN (SELECT value FROM json_each(?2))`;
const SELECT_RELATIONS_OF = `
  SELECT relates_to, rel_type, sender FROM event_relations WHERE relates_to IN (${IDS})`;

const BEFORE = (p: string) => `(${p}depth < ?3 OR (${p}depth = ?3 AND ${p}stream_ordering <= ?4)) AND (${p}depth > ?5 OR (${p}depth = ?5 AND ${p}stream_ordering > ?6))`;
const AFTER = (p: string) => `(${p}depth > ?3 OR (${p}depth = ?3 AND ${p}stream_ordering > ?4)) AND (${p}depth < ?5 OR (${p}depth = ?5 AND ${p}stream_ordering <= ?6))`;

/** The children page query for one combination of filters, with its parameters in order. */
function childrenQuery(q: ChildrenQuery): { sql: string; params: (string | number)[] } {
  const params: (string | number)[] = [q.parentId, q.roomId, q.from.depth, q.from.stream, q.to.depth, q.to.stream, q.limit];
  const param = (value: string | number) => `?${params.push(value)}`;
  const range = (q.dir === "b" ? BEFORE : AFTER)("r.");
  const order = (p: string) => (q.dir === "b" ? `${p}depth DESC, ${p}stream_ordering DESC` : `${p}depth, ${p}stream_ordering`);
  // Direct children read the parent's index in order; deeper levels are gathered first.
  const parents =
    q.depth <= 1
      ? "r.relates_to = ?1"
      : `r.event_id IN (
          WITH RECURSIVE tree(event_id, level) AS (
            SELECT event_id, 1 FROM event_relations WHERE relates_to = ?1
            UNION
            SELECT c.event_id, tree.level + 1 FROM event_relations c JOIN tree ON c.relates_to = tree.event_id WHERE tree.level < ${param(q.depth)}
          ) SELECT event_id FROM tree)`;
  const relType = q.relType !== undefined ? ` AND r.rel_type = ${param(q.relType)}` : "";
  const eventType = q.eventType !== undefined ? ` AND r.type = ${param(q.eventType)}` : "";
  // The page is chosen on the relations alone; only its events are read.
  const sql = `SELECT e.* FROM (
      SELECT r.event_id, r.depth, r.stream_ordering FROM event_relations r
      WHERE ${parents} AND r.room_id = ?2 AND ${range}${relType}${eventType} ORDER BY ${order("r.")} LIMIT ?7
    ) page JOIN events e ON e.event_id = page.event_id ORDER BY ${order("page.")}`;
  return { sql, params };
}

const SELECT_THREAD_ROOTS = (participated: boolean) => `
  SELECT e.*, t.latest_stream AS thread_position FROM threads t JOIN events e ON e.event_id = t.root_id
  WHERE t.room_id = ?1 AND t.latest_stream < ?2
    AND e.outlier = 0 AND e.rejected_reason IS NULL AND e.soft_failed = 0
    ${participated ? "AND (e.sender = ?4 OR EXISTS (SELECT 1 FROM event_relations r WHERE r.relates_to = t.root_id AND r.rel_type = 'm.thread' AND r.sender = ?4))" : ""}
  ORDER BY t.latest_stream DESC LIMIT ?3`;

export function createRelationsRepo(db: Database) {
  const json = (values: readonly string[]) => JSON.stringify(values);
  return {
    /** Records a relation; false when the event's relation was already recorded. */
    insert(r: RelationRow): boolean {
      return db.query(INSERT).run(r.event_id, r.room_id, r.relates_to, r.rel_type, r.type, r.sender, r.depth, r.stream_ordering).changes > 0;
    },

    /** Removes an event's relation (its redaction) and returns what it was. */
    remove(eventId: string): RelationRow | null {
      const row = db.query<RelationRow, [string]>(SELECT).get(eventId);
      if (row) db.query(DELETE).run(eventId);
      return row;
    },

    /** Counts a new reply into its thread (and makes it the latest when it comes last). */
    addThreadReply(r: RelationRow): void {
      db.query(ADD_THREAD_REPLY).run(r.relates_to, r.room_id, r.event_id, r.depth, r.stream_ordering);
    },

    /** Recomputes a thread from its standing replies (after one was redacted); no replies, no thread. */
    recountThread(rootId: string): void {
      db.query(DELETE_THREAD).run(rootId);
      db.query(RECOUNT_THREAD).run(rootId);
    },

    /** One page of a parent's children (and, with `depth` > 1, their children), in the room's order. */
    children(q: ChildrenQuery): EventRow[] {
      const { sql, params } = childrenQuery(q);
      return db.query<EventRow, (string | number)[]>(sql).all(...params);
    },

    /** The thread summaries of those of `rootIds` that have replies. */
    threadSummaries(rootIds: readonly string[]): ThreadSummaryRow[] {
      return db.query<ThreadSummaryRow, [string]>(SELECT_THREAD_SUMMARIES).all(json(rootIds));
    },

    /** Which of `rootIds` have a thread reply from `userId`. */
    repliedTo(rootIds: readonly string[], userId: string): Set<string> {
      return new Set(db.query<{ root_id: string }, [string, string]>(SELECT_PARTICIPATED).all(json(rootIds), userId).map((r) => r.root_id));
    },

    /** The children of `parentIds` by the given relation types, as event rows. */
    childrenOf(parentIds: readonly string[], relTypes: readonly string[]): ChildRow[] {
      return db.query<ChildRow, [string, string]>(SELECT_CHILDREN_OF).all(json(parentIds), json(relTypes));
    },

    /** Every relation pointing at one of `parentIds` (for the related_by_* filters). */
    relationsOf(parentIds: readonly string[]): Pick<RelationRow, "relates_to" | "rel_type" | "sender">[] {
      return db.query<Pick<RelationRow, "relates_to" | "rel_type" | "sender">, [string]>(SELECT_RELATIONS_OF).all(json(parentIds));
    },

    /** Thread roots of a room by latest activity, before activity position `before`; optionally only those `participant` took part in. */
    threadRoots(roomId: string, before: number, limit: number, participant?: string): ThreadRootRow[] {
      const sql = SELECT_THREAD_ROOTS(participant !== undefined);
      return participant !== undefined
        ? db.query<ThreadRootRow, [string, number, number, string]>(sql).all(roomId, before, limit, participant)
        : db.query<ThreadRootRow, [string, number, number]>(sql).all(roomId, before, limit);
    },
  };
}
export type RelationsRepo = ReturnType<typeof createRelationsRepo>;
