/**
 * Federation queries about this server's users:
 *   GET /_matrix/federation/v1/query/profile   https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1queryprofile
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";

export const federationQueryRoutes = ({ federation }: Services) =>
  new Elysia().get(
    "/_matrix/federation/v1/query/profile",
    ({ query }) => federation.queries.queryProfile(query.user_id, query.field),
    {
      federation: true,
      query: t.Object({
        user_id: t.String(),
        field: t.Optional(t.Union([t.Literal("displayname"), t.Literal("avatar_url")])),
      }),
    },
  );
