/**
 * GET    /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3useruseridroomsroomidtags
 * PUT    /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3useruseridroomsroomidtagstag
 * DELETE /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag} — https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3useruseridroomsroomidtagstag
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const tagsRoutes = (services: Services) =>
  new Elysia()
    .use(clientAuth(services.accounts.tokens))
    .get(
      "/_matrix/client/v3/user/:userId/rooms/:roomId/tags",
      ({ requester, params }) => services.accounts.accountData.getTags(requester, params.userId, params.roomId),
      { auth: true },
    )
    .put(
      "/_matrix/client/v3/user/:userId/rooms/:roomId/tags/:tag",
      ({ requester, params, body }) => {
        services.accounts.accountData.setTag(requester, params.userId, params.roomId, params.tag, body);
        return {};
      },
      { auth: true },
    )
    .delete(
      "/_matrix/client/v3/user/:userId/rooms/:roomId/tags/:tag",
      ({ requester, params }) => {
        services.accounts.accountData.deleteTag(requester, params.userId, params.roomId, params.tag);
        return {};
      },
      { auth: true },
    );
