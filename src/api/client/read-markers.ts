/**
 * POST /_matrix/client/v3/rooms/{roomId}/read_markers — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidread_markers
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const readMarkersRoutes = (services: Services) =>
  new Elysia().use(clientAuth(services.accounts.tokens)).post(
    "/_matrix/client/v3/rooms/:roomId/read_markers",
    ({ requester, params, body }) => {
      services.edus.receipts.postReadMarkers(requester, params.roomId, body);
      return {};
    },
    {
      auth: true,
      body: t.Object({
        "m.fully_read": t.Optional(t.String()),
        "m.read": t.Optional(t.String()),
        "m.read.private": t.Optional(t.String()),
      }),
    },
  );
