/**
 * GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidrelationseventid
 * GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidrelationseventidreltype
 * GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}/{eventType} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidrelationseventidreltypeeventtype
 * GET /_matrix/client/v1/rooms/{roomId}/threads — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidthreads
 * The children of an event (optionally by relation and event type), and a room's threads.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import type { RelationsQuery } from "../../services/relations/relations";
import { clientAuth } from "../plugins/client-auth";

const ROOM = "/_matrix/client/v1/rooms/:roomId";
const Flag = t.Union([t.Literal("true"), t.Literal("false")]);
const RelationsParams = t.Object({
  dir: t.Optional(t.Union([t.Literal("b"), t.Literal("f")])),
  from: t.Optional(t.String()),
  to: t.Optional(t.String()),
  limit: t.Optional(t.Numeric({ minimum: 0 })),
  recurse: t.Optional(Flag),
});
type RelationsParamsQuery = { dir?: "b" | "f"; from?: string; to?: string; limit?: number; recurse?: "true" | "false" };

const relationsQuery = (query: RelationsParamsQuery, relType?: string, eventType?: string): RelationsQuery => ({
  relType,
  eventType,
  dir: query.dir ?? "b",
  from: query.from,
  to: query.to,
  limit: query.limit,
  recurse: query.recurse === undefined ? undefined : query.recurse === "true",
});

export const relationsRoutes = ({ accounts: { tokens: auth }, relations: { relations, threads } }: Services) =>
  new Elysia()
    .use(clientAuth(auth))
    .get(`${ROOM}/relations/:eventId`, ({ requester, params, query }) =>
      relations.relations(requester, params.roomId, params.eventId, relationsQuery(query)), { auth: true, query: RelationsParams })
    .get(`${ROOM}/relations/:eventId/:relType`, ({ requester, params, query }) =>
      relations.relations(requester, params.roomId, params.eventId, relationsQuery(query, params.relType)), { auth: true, query: RelationsParams })
    .get(`${ROOM}/relations/:eventId/:relType/:eventType`, ({ requester, params, query }) =>
      relations.relations(requester, params.roomId, params.eventId, relationsQuery(query, params.relType, params.eventType)),
      { auth: true, query: RelationsParams })
    .get(`${ROOM}/threads`, ({ requester, params, query }) => threads.threads(requester, params.roomId, query), {
      auth: true,
      query: t.Object({
        include: t.Optional(t.Union([t.Literal("all"), t.Literal("participated")])),
        from: t.Optional(t.String()),
        limit: t.Optional(t.Numeric({ minimum: 0 })),
      }),
    });
