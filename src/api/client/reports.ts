/**
 * POST /_matrix/client/v3/rooms/{roomId}/report/{eventId} — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidreporteventid
 * POST /_matrix/client/v3/rooms/{roomId}/report — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidreport
 * POST /_matrix/client/v3/users/{userId}/report — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3usersuseridreport
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const reportsRoutes = ({ accounts, reports: { content } }: Services) =>
  new Elysia()
    .use(clientAuth(accounts.tokens))
    .post("/_matrix/client/v3/rooms/:roomId/report/:eventId", ({ requester, params, body }) => {
      content.reportEvent(requester, params.roomId, params.eventId, body);
      return {};
    }, { auth: true })
    .post("/_matrix/client/v3/rooms/:roomId/report", ({ requester, params, body }) => {
      content.reportRoom(requester, params.roomId, body);
      return {};
    }, { auth: true })
    .post("/_matrix/client/v3/users/:userId/report", ({ requester, params, body }) => {
      content.reportUser(requester, params.userId, body);
      return {};
    }, { auth: true });
