/**
 * Reports of content (spec "Reporting content"): what users reported of events, rooms and other
 * users, kept for the server admins, who list, read and delete them. Listing pages by offset,
 * newest first by default, optionally narrowed to one kind, reporter, room or reported user.
 */
import type { Database } from "bun:sqlite";

export type ReportKind = "event" | "room" | "user";

export interface ReportRow {
  id: number;
  kind: ReportKind;
  reporter: string;
  room_id: string | null;
  event_id: string | null;
  /** The reported user, or for an event report the event's sender. */
  target_user_id: string | null;
  reason: string | null;
  score: number | null;
  received_ts: number;
}

export type NewReport = Omit<ReportRow, "id">;

export interface ReportQuery {
  kind?: ReportKind;
  reporter?: string;
  roomId?: string;
  targetUserId?: string;
  /** Rows to skip. */
  from: number;
  limit: number;
  /** "b": newest first (the default), "f": oldest first. */
  dir?: "b" | "f";
}

const INSERT = `
  INSERT INTO reports (kind, reporter, room_id, event_id, target_user_id, reason, score, received_ts)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`;
const SELECT_ONE = "SELECT * FROM reports WHERE id = ?";
const DELETE_ONE = "DELETE FROM reports WHERE id = ?";
// A NULL parameter leaves its column unfiltered.
const WHERE = `
  WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR reporter = ?2)
    AND (?3 IS NULL OR room_id = ?3) AND (?4 IS NULL OR target_user_id = ?4)`;
const SELECT_PAGE_DESC = `SELECT * FROM reports ${WHERE} ORDER BY id DESC LIMIT ?5 OFFSET ?6`;
const SELECT_PAGE_ASC = `SELECT * FROM reports ${WHERE} ORDER BY id LIMIT ?5 OFFSET ?6`;
const COUNT = `SELECT COUNT(*) AS n FROM reports ${WHERE}`;

export function createReportsRepo(db: Database) {
  return {
    /** Stores a report; returns its id. */
    insert(r: NewReport): number {
      return db
        .query<{ id: number }, (string | number | null)[]>(INSERT)
        .get(r.kind, r.reporter, r.room_id, r.event_id, r.target_user_id, r.reason, r.score, r.received_ts)!.id;
    },
    get(id: number): ReportRow | null {
      return db.query<ReportRow, [number]>(SELECT_ONE).get(id);
    },
    /** One page of the matching reports, and how many match in all. */
    list(q: ReportQuery): { reports: ReportRow[]; total: number } {
      const filters = [q.kind ?? null, q.reporter ?? null, q.roomId ?? null, q.targetUserId ?? null] as const;
      const page = q.dir === "f" ? SELECT_PAGE_ASC : SELECT_PAGE_DESC;
      const reports = db.query<ReportRow, (string | number | null)[]>(page).all(...filters, q.limit, q.from);
      const total = db.query<{ n: number }, (string | null)[]>(COUNT).get(...filters)!.n;
      return { reports, total };
    },
    /** Removes one report; returns whether it existed. */
    delete(id: number): boolean {
      return db.query(DELETE_ONE).run(id).changes > 0;
    },
  };
}
export type ReportsRepo = ReturnType<typeof createReportsRepo>;
