/**
 * PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidtypinguserid
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const typingRoutes = (services: Services) =>
  new Elysia().use(clientAuth(services.accounts.tokens)).put(
    "/_matrix/client/v3/rooms/:roomId/typing/:userId",
    ({ requester, params, body }) => {
      services.edus.typing.setTyping(requester, params.roomId, params.userId, body.typing, body.timeout);
      return {};
    },
    { auth: true, body: t.Object({ typing: t.Boolean(), timeout: t.Optional(t.Integer({ minimum: 0 })) }) },
  );
