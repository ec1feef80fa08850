/**
 * This server's published rooms, for other servers:
 *   GET  /_matrix/federation/v1/publicRooms   https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1publicrooms
 *   POST /_matrix/federation/v1/publicRooms   https://spec.matrix.org/v1.19/server-server-api/#post_matrixfederationv1publicrooms
 * Like the client API's: the main list, one appservice network's (`third_party_instance_id`) or all.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { PublicRoomsRequest } from "../schemas/public-rooms-request";
import { serverAuth } from "../plugins/server-auth";

export const federationPublicRoomsRoutes = ({ federation, rooms: { directory } }: Services) =>
  new Elysia()
    .use(serverAuth(federation))
    .get("/_matrix/federation/v1/publicRooms", ({ query }) =>
      directory.publicRooms({
        limit: query.limit,
        since: query.since,
        include_all_networks: query.include_all_networks === "true",
        third_party_instance_id: query.third_party_instance_id,
      }), {
      federation: true,
      query: t.Object({
        limit: t.Optional(t.Numeric({ minimum: 0 })),
        since: t.Optional(t.String()),
        include_all_networks: t.Optional(t.Union([t.Literal("true"), t.Literal("false")])),
        third_party_instance_id: t.Optional(t.String()),
      }),
    })
    .post("/_matrix/federation/v1/publicRooms", ({ body }) => directory.publicRooms(body), {
      federation: true,
      body: PublicRoomsRequest,
    });
