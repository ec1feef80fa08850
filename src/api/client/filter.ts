/**
 * POST /_matrix/client/v3/user/{userId}/filter — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridfilter
 * GET  /_matrix/client/v3/user/{userId}/filter/{filterId} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3useruseridfilterfilterid
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const filterRoutes = (services: Services) =>
  new Elysia()
    .use(clientAuth(services.accounts.tokens))
    .post(
      "/_matrix/client/v3/user/:userId/filter",
      ({ requester, params, body }) => services.accounts.filters.createFilter(requester, params.userId, body),
      { auth: true },
    )
    .get(
      "/_matrix/client/v3/user/:userId/filter/:filterId",
      ({ requester, params }) => services.accounts.filters.getFilter(requester, params.userId, params.filterId),
      { auth: true },
    );
