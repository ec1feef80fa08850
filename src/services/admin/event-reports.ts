/**
 * Event reports for the admin API, in Synapse's shapes: the list (newest first unless `dir=f`,
 * narrowed by reporter, room or the reported event's sender), one report with the event itself,
 * and deleting a report once handled. The reports are the reports area's (`storage.reports`).
 */
import type { JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { ReportRow } from "../../storage/reports";
import { notFound } from "../matrix-error";
import type { RoomSummaries } from "../rooms/summary";

export interface EventReportQuery {
  from: number;
  limit: number;
  dir: "b" | "f";
  reporter?: string;
  roomId?: string;
  sender?: string;
}

export function createAdminEventReports(storage: Storage, summaries: RoomSummaries, eventJson: (eventId: string) => JsonObject | null) {
  function toReport(row: ReportRow) {
    const room = row.room_id === null ? null : summaries.summary(row.room_id);
    return {
      id: row.id,
      received_ts: row.received_ts,
      room_id: row.room_id,
      name: typeof room?.name === "string" ? room.name : null,
      canonical_alias: typeof room?.canonical_alias === "string" ? room.canonical_alias : null,
      event_id: row.event_id,
      user_id: row.reporter,
      sender: row.target_user_id,
      reason: row.reason,
      score: row.score,
    };
  }

  /** Report ids in paths are decimal integers; anything else names no report. */
  function existing(id: string): ReportRow {
    const row = /^\d{1,15}$/.test(id) ? storage.reports.get(Number(id)) : null;
    if (!row || row.kind !== "event") throw notFound("Event report not found");
    return row;
  }

  return {
    list(q: EventReportQuery) {
      const { reports, total } = storage.reports.list({
        kind: "event",
        reporter: q.reporter,
        roomId: q.roomId,
        targetUserId: q.sender,
        from: q.from,
        limit: q.limit,
        dir: q.dir,
      });
      const next = q.from + reports.length;
      return { event_reports: reports.map(toReport), total, ...(next < total ? { next_token: next } : {}) };
    },

    get(id: string) {
      const row = existing(id);
      return { ...toReport(row), event_json: row.event_id === null ? null : eventJson(row.event_id) };
    },

    delete(id: string): void {
      storage.reports.delete(existing(id).id);
    },
  };
}
export type AdminEventReports = ReturnType<typeof createAdminEventReports>;
