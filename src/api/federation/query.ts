/**
 * Federation queries about this server's users and aliases:
 *   GET /_matrix/federation/v1/query/profile     https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1queryprofile
 *   GET /_matrix/federation/v1/query/directory   https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1querydirectory
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { serverAuth } from "../plugins/server-auth";

export const federationQueryRoutes = ({ accounts: { profile }, federation }: Services) =>
  new Elysia()
    .use(serverAuth(federation))
    .get(
      "/_matrix/federation/v1/query/profile",
      ({ query }) => (query.field === undefined ? profile.getProfile(query.user_id) : profile.getField(query.user_id, query.field)),
      { federation: true, query: t.Object({ user_id: t.String(), field: t.Optional(t.String()) }) },
    )
    .get("/_matrix/federation/v1/query/directory", ({ query }) => federation.directory.answerAlias(query.room_alias), {
      federation: true,
      query: t.Object({ room_alias: t.String() }),
    });
