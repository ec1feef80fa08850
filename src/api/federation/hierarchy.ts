/**
 * GET /_matrix/federation/v1/hierarchy/{roomId} — https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1hierarchyroomid
 * A space we are in and its children, for another server's users (no pagination).
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { serverAuth } from "../plugins/server-auth";

export const federationHierarchyRoutes = ({ federation, spaces }: Services) =>
  new Elysia()
    .use(serverAuth(federation))
    .get("/_matrix/federation/v1/hierarchy/:roomId", ({ origin, params, query }) =>
      spaces.hierarchy.forServer(origin, params.roomId, query.suggested_only === "true"), {
      federation: true,
      query: t.Object({ suggested_only: t.Optional(t.String()) }),
    });
