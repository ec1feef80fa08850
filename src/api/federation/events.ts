/**
 * Room reads for other servers:
 *   GET  /_matrix/federation/v1/event/{eventId}                https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1eventeventid
 *   GET  /_matrix/federation/v1/state/{roomId}                 https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1stateroomid
 *   GET  /_matrix/federation/v1/state_ids/{roomId}             https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1state_idsroomid
 *   GET  /_matrix/federation/v1/event_auth/{roomId}/{eventId}  https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1event_authroomideventid
 *   POST /_matrix/federation/v1/get_missing_events/{roomId}    https://spec.matrix.org/v1.19/server-server-api/#post_matrixfederationv1get_missing_eventsroomid
 *   GET  /_matrix/federation/v1/backfill/{roomId}              https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1backfillroomid
 *   GET  /_matrix/federation/v1/timestamp_to_event/{roomId}    https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1timestamp_to_eventroomid
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { serverAuth } from "../plugins/server-auth";

const V1 = "/_matrix/federation/v1";
const EventQuery = t.Object({ event_id: t.String() });

export const federationEventRoutes = ({ federation }: Services) => {
  const serving = federation.serving;
  return new Elysia()
    .use(serverAuth(federation))
    .get(`${V1}/event/:eventId`, ({ origin, params }) => serving.getEvent(origin, params.eventId), { federation: true })
    .get(`${V1}/state/:roomId`, ({ origin, params, query }) => serving.state(origin, params.roomId, query.event_id), {
      federation: true,
      query: EventQuery,
    })
    .get(`${V1}/state_ids/:roomId`, ({ origin, params, query }) => serving.stateIds(origin, params.roomId, query.event_id), {
      federation: true,
      query: EventQuery,
    })
    .get(`${V1}/event_auth/:roomId/:eventId`, ({ origin, params }) => serving.eventAuth(origin, params.roomId, params.eventId), {
      federation: true,
    })
    .post(`${V1}/get_missing_events/:roomId`, ({ origin, params, body }) => serving.missingEvents(origin, params.roomId, body), {
      federation: true,
      body: t.Object({
        // Required by the spec, but older servers leave them out (read as none, as Synapse does).
        earliest_events: t.Optional(t.Array(t.String())),
        latest_events: t.Optional(t.Array(t.String())),
        limit: t.Optional(t.Integer()),
        min_depth: t.Optional(t.Integer()),
      }),
    })
    .get(
      `${V1}/backfill/:roomId`,
      ({ origin, params, query }) => serving.backfill(origin, params.roomId, typeof query.v === "string" ? [query.v] : query.v, query.limit),
      { federation: true, query: t.Object({ v: t.Union([t.String(), t.Array(t.String())]), limit: t.Integer({ minimum: 0 }) }) },
    )
    .get(
      `${V1}/timestamp_to_event/:roomId`,
      ({ origin, params, query }) => serving.timestampToEvent(origin, params.roomId, query.ts, query.dir),
      { federation: true, query: t.Object({ ts: t.Integer(), dir: t.Union([t.Literal("b"), t.Literal("f")]) }) },
    );
};
