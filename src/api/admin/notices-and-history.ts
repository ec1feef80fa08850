/**
 * Server notices and history purges in Synapse's admin API:
 * POST /_synapse/admin/v1/send_server_notice          — https://element-hq.github.io/synapse/latest/admin_api/server_notices.html
 * PUT  /_synapse/admin/v1/send_server_notice/{txnId}
 * POST /_synapse/admin/v1/purge_history/{roomId}[/{eventId}] — https://element-hq.github.io/synapse/latest/admin_api/purge_history_api.html
 * GET  /_synapse/admin/v1/purge_history_status/{purgeId}
 */
import { Elysia, t } from "elysia";
import type { JsonObject } from "../../core/types";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

const NoticeBody = t.Object({
  user_id: t.String(),
  content: t.Record(t.String(), t.Unknown()),
  type: t.Optional(t.String()),
  state_key: t.Optional(t.String()),
});
const PurgeBody = t.Optional(
  t.Object({ delete_local_events: t.Optional(t.Boolean()), purge_up_to_event_id: t.Optional(t.String()), purge_up_to_ts: t.Optional(t.Number()) }),
);
type PurgeRequest = NonNullable<typeof PurgeBody.static>;

export const adminNoticeAndHistoryRoutes = ({ accounts: { tokens }, admin: { guard, notices, historyPurge } }: Services) => {
  const purge = (roomId: string, eventId: string | undefined, body: PurgeRequest | null | undefined) =>
    historyPurge.start(roomId, { eventId: eventId ?? body?.purge_up_to_event_id, ts: body?.purge_up_to_ts, deleteLocalEvents: body?.delete_local_events ?? false });
  return new Elysia()
    .use(clientAuth(tokens))
    .post(
      "/_synapse/admin/v1/send_server_notice",
      ({ requester, body }) => {
        guard.authorize(requester, "send server notice", { user_id: body.user_id });
        return notices.send({ userId: body.user_id, content: body.content as JsonObject, type: body.type, stateKey: body.state_key });
      },
      { auth: true, body: NoticeBody },
    )
    .put(
      "/_synapse/admin/v1/send_server_notice/:txnId",
      ({ requester, params, body }) => {
        guard.authorize(requester, "send server notice", { user_id: body.user_id });
        return notices.send({ userId: body.user_id, content: body.content as JsonObject, type: body.type, stateKey: body.state_key, txnId: params.txnId });
      },
      { auth: true, body: NoticeBody },
    )
    .post(
      "/_synapse/admin/v1/purge_history/:roomId",
      ({ requester, params, body }) => {
        guard.authorize(requester, "purge history", { room_id: params.roomId });
        return { purge_id: purge(params.roomId, undefined, body).purge_id };
      },
      { auth: true, body: PurgeBody },
    )
    .post(
      "/_synapse/admin/v1/purge_history/:roomId/:eventId",
      ({ requester, params, body }) => {
        guard.authorize(requester, "purge history", { room_id: params.roomId, event_id: params.eventId });
        return { purge_id: purge(params.roomId, params.eventId, body).purge_id };
      },
      { auth: true, body: PurgeBody },
    )
    .get(
      "/_synapse/admin/v1/purge_history_status/:purgeId",
      ({ requester, params }) => {
        guard.authorize(requester, "query history purge", { purge_id: params.purgeId });
        return historyPurge.status(params.purgeId);
      },
      { auth: true },
    );
};
