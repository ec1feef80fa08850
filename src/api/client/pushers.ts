/**
 * GET /_matrix/client/v3/pushers — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3pushers
 * POST /_matrix/client/v3/pushers/set — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3pushersset
 * GET /_matrix/client/v3/notifications — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3notifications
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const pushersRoutes = ({ accounts, push }: Services) =>
  new Elysia()
    .use(clientAuth(accounts.tokens))
    .get("/_matrix/client/v3/pushers", ({ requester }) => push.pushers.list(requester.userId), { auth: true })
    .post(
      "/_matrix/client/v3/pushers/set",
      ({ requester, body }) => {
        push.pushers.set(requester, body);
        return {};
      },
      { auth: true },
    )
    .get("/_matrix/client/v3/notifications", ({ requester, query }) => push.notifications.list(requester, query), { auth: true });
