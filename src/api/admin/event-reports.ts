/**
 * Event reports in Synapse's admin API (https://element-hq.github.io/synapse/latest/admin_api/event_reports.html):
 * GET    /_synapse/admin/v1/event_reports               — from/limit/dir/user_id/room_id/event_sender_user_id
 * GET    /_synapse/admin/v1/event_reports/{reportId}    — with the reported event
 * DELETE /_synapse/admin/v1/event_reports/{reportId}
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";
import { choiceParam, intParam } from "./query";

const REPORT = "/_synapse/admin/v1/event_reports/:reportId";
const DEFAULT_LIMIT = 100;

export const adminEventReportRoutes = ({ accounts: { tokens }, admin: { guard, eventReports } }: Services) =>
  new Elysia()
    .use(clientAuth(tokens))
    .get(
      "/_synapse/admin/v1/event_reports",
      ({ requester, query }) => {
        guard.authorize(requester, "list event reports");
        return eventReports.list({
          from: intParam(query.from, "from") ?? 0,
          limit: intParam(query.limit, "limit", 1) ?? DEFAULT_LIMIT,
          dir: choiceParam(query.dir, "dir", ["f", "b"] as const) ?? "b",
          reporter: query.user_id,
          roomId: query.room_id,
          sender: query.event_sender_user_id,
        });
      },
      {
        auth: true,
        query: t.Object({
          from: t.Optional(t.String()),
          limit: t.Optional(t.String()),
          dir: t.Optional(t.String()),
          user_id: t.Optional(t.String()),
          room_id: t.Optional(t.String()),
          event_sender_user_id: t.Optional(t.String()),
        }),
      },
    )
    .get(
      REPORT,
      ({ requester, params }) => {
        guard.authorize(requester, "read event report", { report_id: params.reportId });
        return eventReports.get(params.reportId);
      },
      { auth: true },
    )
    .delete(
      REPORT,
      ({ requester, params }) => {
        guard.authorize(requester, "delete event report", { report_id: params.reportId });
        eventReports.delete(params.reportId);
        return {};
      },
      { auth: true },
    );
