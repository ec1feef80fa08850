/**
 * The polling APIs from before /sync (deprecated, still in the spec):
 *   GET /_matrix/client/v3/events                       https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3events
 *   GET /_matrix/client/v3/initialSync                  https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3initialsync
 *   GET /_matrix/client/v3/rooms/{roomId}/initialSync   https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidinitialsync
 *   GET /_matrix/client/v3/events/{eventId}             https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3eventseventid
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { maxSyncTimeoutMs } from "../../services/sync/sync";
import { allowSilence } from "../http/request-context";
import { clientAuth } from "../plugins/client-auth";

/** Seconds past the longest long-poll before Bun may close a quiet connection. */
const idleMarginSeconds = 15;

export const legacySyncRoutes = ({ accounts, sync: { legacy } }: Services) =>
  new Elysia()
    .use(clientAuth(accounts.tokens))
    .get(
      "/_matrix/client/v3/events",
      ({ requester, query, request }) => {
        allowSilence(request, Math.ceil(maxSyncTimeoutMs / 1000) + idleMarginSeconds);
        return legacy.events(requester, { from: query.from, timeoutMs: query.timeout ?? 0, roomId: query.room_id, limit: query.limit }, request.signal);
      },
      {
        auth: true,
        query: t.Object({
          from: t.Optional(t.String()),
          timeout: t.Optional(t.Numeric({ minimum: 0 })),
          room_id: t.Optional(t.String()),
          limit: t.Optional(t.Numeric({ minimum: 0 })),
        }),
      },
    )
    .get("/_matrix/client/v3/events/:eventId", ({ requester, params }) => legacy.event(requester, params.eventId), { auth: true })
    .get(
      "/_matrix/client/v3/initialSync",
      ({ requester, query }) => legacy.initialSync(requester, { limit: query.limit, archived: query.archived === "true" }),
      {
        auth: true,
        query: t.Object({
          limit: t.Optional(t.Numeric({ minimum: 0 })),
          archived: t.Optional(t.Union([t.Literal("true"), t.Literal("false")])),
        }),
      },
    )
    .get(
      "/_matrix/client/v3/rooms/:roomId/initialSync",
      ({ requester, params, query }) => legacy.roomInitialSync(requester, params.roomId, { limit: query.limit }),
      { auth: true, query: t.Object({ limit: t.Optional(t.Numeric({ minimum: 0 })) }) },
    );
