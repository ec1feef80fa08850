/**
 * POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId} — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidreceiptreceipttypeeventid
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const receiptsRoutes = (services: Services) =>
  new Elysia().use(clientAuth(services.accounts.tokens)).post(
    "/_matrix/client/v3/rooms/:roomId/receipt/:receiptType/:eventId",
    ({ requester, params, body }) => {
      services.edus.receipts.postReceipt(requester, params.roomId, params.receiptType, params.eventId, body);
      return {};
    },
    { auth: true },
  );
