/**
 * POST /_matrix/client/v3/user/{userId}/openid/request_token — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridopenidrequest_token
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const openIdRoutes = ({ accounts: { tokens, openId } }: Services) =>
  new Elysia()
    .use(clientAuth(tokens))
    .post("/_matrix/client/v3/user/:userId/openid/request_token", ({ requester, params }) => openId.requestToken(requester, params.userId), {
      auth: true,
    });
