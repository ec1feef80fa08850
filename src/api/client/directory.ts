/**
 * PUT    /_matrix/client/v3/directory/room/{roomAlias} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3directoryroomroomalias
 * GET    /_matrix/client/v3/directory/room/{roomAlias} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3directoryroomroomalias
 * DELETE /_matrix/client/v3/directory/room/{roomAlias} — https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3directoryroomroomalias
 * GET    /_matrix/client/v3/rooms/{roomId}/aliases — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidaliases
 * GET    /_matrix/client/v3/directory/list/room/{roomId} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3directorylistroomroomid
 * PUT    /_matrix/client/v3/directory/list/room/{roomId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3directorylistroomroomid
 * GET    /_matrix/client/v3/publicRooms — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3publicrooms
 * POST   /_matrix/client/v3/publicRooms — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3publicrooms
 * PUT    /_matrix/client/v3/directory/list/appservice/{networkId}/{roomId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3directorylistappservicenetworkidroomid
 * DELETE /_matrix/client/v3/directory/list/appservice/{networkId}/{roomId} — not in the spec: Synapse's way to unpublish, which bridges use
 * Room aliases and published room directories, this server's or (through federation) another's,
 * and the appservices' own lists.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { PublicRoomsRequest } from "../schemas/public-rooms-request";
import { clientAuth } from "../plugins/client-auth";

const ALIAS = "/_matrix/client/v3/directory/room/:roomAlias";
const LIST = "/_matrix/client/v3/directory/list/room/:roomId";
const APPSERVICE_LIST = "/_matrix/client/v3/directory/list/appservice/:networkId/:roomId";
const Visibility = t.Union([t.Literal("public"), t.Literal("private")]);

export const directoryRoutes = ({ accounts: { tokens: auth }, rooms: { directory, actions }, federation }: Services) => {
  return new Elysia()
    .use(clientAuth(auth))
    .put(ALIAS, ({ requester, params, body }) => {
      directory.createAlias(requester, params.roomAlias, body.room_id);
      return {};
    }, { auth: true, body: t.Object({ room_id: t.String() }) })
    // Another server's alias is asked of that server.
    .get(ALIAS, ({ params }) => federation.directory.resolveAlias(params.roomAlias))
    .delete(ALIAS, async ({ requester, params }) => {
      const roomId = directory.deleteAlias(requester, params.roomAlias);
      await actions.dropCanonicalAlias(requester, roomId, params.roomAlias);
      return {};
    }, { auth: true })
    .get("/_matrix/client/v3/rooms/:roomId/aliases", ({ requester, params }) => directory.roomAliases(requester, params.roomId), { auth: true })
    .get(LIST, ({ params }) => directory.getVisibility(params.roomId))
    .put(LIST, ({ requester, params, body }) => {
      directory.setVisibility(requester, params.roomId, body.visibility ?? "public");
      return {};
    }, { auth: true, body: t.Object({ visibility: t.Optional(Visibility) }) })
    .put(APPSERVICE_LIST, ({ requester, params, body }) => {
      directory.setAppserviceVisibility(requester, params.networkId, params.roomId, body.visibility);
      return {};
    }, { auth: true, body: t.Object({ visibility: Visibility }) })
    .delete(APPSERVICE_LIST, ({ requester, params }) => {
      directory.setAppserviceVisibility(requester, params.networkId, params.roomId, "private");
      return {};
    }, { auth: true })
    .get("/_matrix/client/v3/publicRooms", ({ query }) =>
      federation.directory.publicRooms(query.server, { limit: query.limit, since: query.since }), { query: t.Object({ limit: t.Optional(t.Numeric({ minimum: 0 })), since: t.Optional(t.String()), server: t.Optional(t.String()) }) })
    .post("/_matrix/client/v3/publicRooms", ({ query, body }) => federation.directory.publicRooms(query.server, body), {
      auth: true,
      query: t.Object({ server: t.Optional(t.String()) }),
      body: PublicRoomsRequest,
    });
};
