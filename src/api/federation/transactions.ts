/**
 * Transactions pushed to us by other servers:
 *   PUT /_matrix/federation/v1/send/{txnId}   https://spec.matrix.org/v1.19/server-server-api/#put_matrixfederationv1sendtxnid
 * The body is checked by the service, PDU by PDU: one bad PDU must not reject the others.
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { serverAuth } from "../plugins/server-auth";

export const federationTransactionRoutes = ({ federation }: Services) =>
  new Elysia().use(serverAuth(federation)).put(
    "/_matrix/federation/v1/send/:txnId",
    ({ origin, params, body }) => federation.transactions.receive(origin, params.txnId, body),
    { federation: true },
  );
