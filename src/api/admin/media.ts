/**
 * Media in Synapse's admin API (https://element-hq.github.io/synapse/latest/admin_api/media_admin_api.html):
 * GET    /_synapse/admin/v1/users/{userId}/media                      — from/limit/order_by/dir
 * DELETE /_synapse/admin/v1/users/{userId}/media
 * DELETE /_synapse/admin/v1/media/{serverName}/{mediaId}
 * POST   /_synapse/admin/v1/media/quarantine/{serverName}/{mediaId}
 * POST   /_synapse/admin/v1/media/unquarantine/{serverName}/{mediaId}
 * POST   /_synapse/admin/v1/user/{userId}/media/quarantine
 * POST   /_synapse/admin/v1/purge_media_cache?before_ts=               — remote media not accessed since
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { UPLOAD_ORDERS } from "../../services/admin/media";
import { clientAuth } from "../plugins/client-auth";
import { choiceParam, intParam } from "./query";
import { missingParam } from "../../services/matrix-error";

const DEFAULT_LIMIT = 100;

export const adminMediaRoutes = ({ accounts: { tokens }, admin: { guard, users, media } }: Services) =>
  new Elysia()
    .use(clientAuth(tokens))
    .get(
      "/_synapse/admin/v1/users/:userId/media",
      ({ requester, params, query }) => {
        guard.authorize(requester, "list user media", { user_id: params.userId });
        users.get(params.userId);
        return media.uploadsOf(params.userId, {
          orderBy: choiceParam(query.order_by, "order_by", UPLOAD_ORDERS) ?? "created_ts",
          backwards: choiceParam(query.dir, "dir", ["f", "b"] as const) === "b",
          offset: intParam(query.from, "from") ?? 0,
          limit: intParam(query.limit, "limit", 1) ?? DEFAULT_LIMIT,
        });
      },
      {
        auth: true,
        query: t.Object({ from: t.Optional(t.String()), limit: t.Optional(t.String()), order_by: t.Optional(t.String()), dir: t.Optional(t.String()) }),
      },
    )
    .delete(
      "/_synapse/admin/v1/users/:userId/media",
      ({ requester, params }) => {
        guard.authorize(requester, "delete user media", { user_id: params.userId });
        users.get(params.userId);
        return media.deleteUploadsOf(params.userId);
      },
      { auth: true },
    )
    .delete(
      "/_synapse/admin/v1/media/:serverName/:mediaId",
      ({ requester, params }) => {
        guard.authorize(requester, "delete media", { media: `mxc://${params.serverName}/${params.mediaId}` });
        return media.delete(params.serverName, params.mediaId);
      },
      { auth: true },
    )
    .post(
      "/_synapse/admin/v1/media/quarantine/:serverName/:mediaId",
      ({ requester, params }) => {
        guard.authorize(requester, "quarantine media", { media: `mxc://${params.serverName}/${params.mediaId}` });
        media.setQuarantined(params.serverName, params.mediaId, requester.userId);
        return {};
      },
      { auth: true },
    )
    .post(
      "/_synapse/admin/v1/media/unquarantine/:serverName/:mediaId",
      ({ requester, params }) => {
        guard.authorize(requester, "release media", { media: `mxc://${params.serverName}/${params.mediaId}` });
        media.setQuarantined(params.serverName, params.mediaId, null);
        return {};
      },
      { auth: true },
    )
    .post(
      "/_synapse/admin/v1/user/:userId/media/quarantine",
      ({ requester, params }) => {
        guard.authorize(requester, "quarantine user media", { user_id: params.userId });
        users.get(params.userId);
        return media.quarantineUploadsOf(params.userId, requester.userId);
      },
      { auth: true },
    )
    .post(
      "/_synapse/admin/v1/purge_media_cache",
      ({ requester, query }) => {
        const before = intParam(query.before_ts, "before_ts");
        if (before === undefined) throw missingParam("Missing before_ts");
        guard.authorize(requester, "purge remote media cache", { before_ts: before });
        return media.purgeRemoteCache(before);
      },
      { auth: true, query: t.Object({ before_ts: t.Optional(t.String()) }) },
    );
