/**
 * GET /_matrix/client/v1/rooms/{roomId}/hierarchy — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidhierarchy
 * GET /_matrix/client/v1/room_summary/{roomIdOrAlias} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1room_summaryroomidoralias
 * GET /_matrix/client/unstable/im.nheko.summary/rooms/{roomIdOrAlias}/summary and
 * GET /_matrix/client/unstable/im.nheko.summary/summary/{roomIdOrAlias}: MSC3266's unstable paths,
 *   which clients still call. A summary needs no token for rooms open to anyone.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import type { Requester } from "../../services/accounts/access-tokens";
import { invalidParam } from "../../services/matrix-error";
import { clientAuth } from "../plugins/client-auth";

/** An integer query parameter, or 400 M_INVALID_PARAM naming it. */
function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?[0-9]+$/.test(value)) throw invalidParam(`${name} must be an integer`);
  return Number(value);
}

const Via = t.Optional(t.Union([t.String(), t.Array(t.String())]));
const viaOf = (via: string | string[] | undefined): string[] => (via === undefined ? [] : Array.isArray(via) ? via : [via]);

export const spacesRoutes = ({ accounts: { tokens: auth }, spaces }: Services) => {
  const summary = (requester: Requester | undefined, roomIdOrAlias: string, via: string | string[] | undefined) =>
    spaces.summary.summary(requester, roomIdOrAlias, viaOf(via));
  const summaryOptions = { optionalAuth: true, query: t.Object({ via: Via }) } as const;
  return new Elysia()
    .use(clientAuth(auth))
    .get("/_matrix/client/v1/rooms/:roomId/hierarchy", ({ requester, params, query }) =>
      spaces.hierarchy.forUser(requester.userId, params.roomId, {
        suggestedOnly: query.suggested_only === "true",
        limit: integer("limit", query.limit),
        maxDepth: integer("max_depth", query.max_depth),
        from: query.from,
      }), {
      auth: true,
      query: t.Object({
        suggested_only: t.Optional(t.String()),
        limit: t.Optional(t.String()),
        max_depth: t.Optional(t.String()),
        from: t.Optional(t.String()),
      }),
    })
    .get("/_matrix/client/v1/room_summary/:roomIdOrAlias", ({ requester, params, query }) => summary(requester, params.roomIdOrAlias, query.via), summaryOptions)
    .get("/_matrix/client/unstable/im.nheko.summary/rooms/:roomIdOrAlias/summary", ({ requester, params, query }) =>
      summary(requester, params.roomIdOrAlias, query.via), summaryOptions)
    .get("/_matrix/client/unstable/im.nheko.summary/summary/:roomIdOrAlias", ({ requester, params, query }) =>
      summary(requester, params.roomIdOrAlias, query.via), summaryOptions);
};
