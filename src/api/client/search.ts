/**
 * POST /_matrix/client/v3/search — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3search
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const searchRoutes = ({ accounts, search }: Services) =>
  new Elysia()
    .use(clientAuth(accounts.tokens))
    .post("/_matrix/client/v3/search", ({ requester, body, query }) => search.roomEvents.search(requester, body, query.next_batch), {
      auth: true,
      query: t.Object({ next_batch: t.Optional(t.String()) }),
    });
