/**
 * PUT /_matrix/client/v3/sendToDevice/{eventType}/{txnId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3sendtodeviceeventtypetxnid
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const toDeviceRoutes = ({ accounts: { tokens }, e2ee }: Services) =>
  new Elysia().use(clientAuth(tokens)).put(
    "/_matrix/client/v3/sendToDevice/:eventType/:txnId",
    ({ requester, params, body }) => {
      e2ee.toDevice.send(requester, params.eventType, params.txnId, body);
      return {};
    },
    { auth: true },
  );
