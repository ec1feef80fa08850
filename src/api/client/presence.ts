/**
 * GET/PUT /_matrix/client/v3/presence/{userId}/status — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3presenceuseridstatus
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const presenceRoutes = (services: Services) =>
  new Elysia()
    .use(clientAuth(services.accounts.tokens))
    .put(
      "/_matrix/client/v3/presence/:userId/status",
      ({ requester, params, body }) => {
        services.edus.presence.setPresence(requester, params.userId, body.presence, body.status_msg);
        return {};
      },
      {
        auth: true,
        body: t.Object({
          presence: t.Union([t.Literal("online"), t.Literal("offline"), t.Literal("unavailable")]),
          status_msg: t.Optional(t.String()),
        }),
      },
    )
    .get(
      "/_matrix/client/v3/presence/:userId/status",
      ({ requester, params }) => services.edus.presence.getPresence(requester, params.userId),
      { auth: true },
    );
