/**
 * POST /_matrix/client/v1/appservice/{appserviceId}/ping — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv1appserviceappserviceidping
 * An appservice checks that the homeserver reaches it: the homeserver calls its
 * `/_matrix/app/v1/ping` and answers with the round trip. Only the appservice's own as_token may.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const appservicePingRoutes = ({ accounts: { tokens }, appservices: { queries } }: Services) =>
  new Elysia()
    .use(clientAuth(tokens))
    .post(
      "/_matrix/client/v1/appservice/:appserviceId/ping",
      ({ requester, params, body }) => queries.ping(requester, params.appserviceId, body.transaction_id),
      { auth: true, body: t.Record(t.String(), t.Unknown()) },
    );
