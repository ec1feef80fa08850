/**
 * GET/PUT /_matrix/client/v3/user/{userId}/account_data/{type} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3useruseridaccount_datatype
 * GET/PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3useruseridroomsroomidaccount_datatype
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const accountDataRoutes = (services: Services) =>
  new Elysia()
    .use(clientAuth(services.accounts.tokens))
    .put(
      "/_matrix/client/v3/user/:userId/account_data/:type",
      ({ requester, params, body }) => {
        services.accounts.accountData.setGlobal(requester, params.userId, params.type, body);
        return {};
      },
      { auth: true },
    )
    .get(
      "/_matrix/client/v3/user/:userId/account_data/:type",
      ({ requester, params }) => services.accounts.accountData.getGlobal(requester, params.userId, params.type),
      { auth: true },
    )
    .put(
      "/_matrix/client/v3/user/:userId/rooms/:roomId/account_data/:type",
      ({ requester, params, body }) => {
        services.accounts.accountData.setForRoom(requester, params.userId, params.roomId, params.type, body);
        return {};
      },
      { auth: true },
    )
    .get(
      "/_matrix/client/v3/user/:userId/rooms/:roomId/account_data/:type",
      ({ requester, params }) => services.accounts.accountData.getForRoom(requester, params.userId, params.roomId, params.type),
      { auth: true },
    );
