/**
 * PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidsendeventtypetxnid
 * PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidstateeventtypestatekey
 *   (both PUTs with `delay` or `org.matrix.msc4140.delay`: a delayed event, MSC4140; see delayed-events.ts)
 * GET /_matrix/client/v3/rooms/{roomId}/state — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidstate
 * GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidstateeventtypestatekey
 * PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidredacteventidtxnid
 * POST /_matrix/client/v3/rooms/{roomId}/send/{eventType} and POST .../redact/{eventId}: the forms
 *   without a transaction id from before r0 that Synapse still serves and older clients and test
 *   suites still call; each request sends an event.
 * GET /_matrix/client/v3/rooms/{roomId}/event/{eventId} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomideventeventid
 * GET /_matrix/client/v3/rooms/{roomId}/messages — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidmessages
 * GET /_matrix/client/v3/rooms/{roomId}/context/{eventId} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidcontexteventid
 * GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidtimestamp_to_event
 * Sending and reading room events. An empty state key may be given as `/state/{eventType}` or with a
 * trailing slash.
 */
import { Elysia, t } from "elysia";
import { rulesFor, type RoomVersionRules } from "../../core/room-versions";
import { isJsonObject, type JsonObject } from "../../core/types";
import type { Services } from "../../services";
import { maxDelayExceeded } from "../../services/delayed-events/delayed-events";
import { badJson, notJson } from "../../services/matrix-error";
import { delayParam, timestamp } from "../http/query-values";
import type { Requester } from "../../services/accounts/access-tokens";
import { hadEmptyBody, hadNonCanonicalNumbers } from "../plugins/json-body";
import { clientAuth } from "../plugins/client-auth";

const ROOM = "/_matrix/client/v3/rooms/:roomId";

/** Event content: any JSON object. */
function content(body: unknown): JsonObject {
  if (!isJsonObject(body)) throw badJson("The request body must be a JSON object");
  return body;
}

/**
 * The content of an event a client sends: a body is required (400 M_NOT_JSON without one, as
 * Synapse answers), and in room versions 6+, which hold only canonical JSON, numbers such as
 * `1.0` or `1e3` are refused rather than stored as the integers they read as.
 */
function eventContent(request: Request, body: unknown, rules: RoomVersionRules | undefined): JsonObject {
  if (body === undefined || hadEmptyBody(request)) throw notJson("The request body must be the event's content, a JSON object");
  if (rules?.strictCanonicalJson && hadNonCanonicalNumbers(request)) {
    throw badJson(`Room version ${rules.id} allows only integers in ±(2^53-1) in events (canonical JSON): no floats, exponents or -0`);
  }
  return content(body);
}

function redactReason(body: unknown): string | undefined {
  const reason = body === undefined ? undefined : content(body).reason;
  if (reason !== undefined && typeof reason !== "string") throw badJson("reason must be a string");
  return reason;
}

const Dir = t.Union([t.Literal("b"), t.Literal("f")]);

export const roomEventsRoutes = ({ accounts: { tokens: auth }, rooms: { actions: rooms, timeline, heads }, federation, membership, delayedEvents: { delayed } }: Services) => {
  const rulesOf = (roomId: string) => {
    const version = heads.get(roomId)?.version;
    return version === undefined ? undefined : rulesFor(version);
  };
  /**
   * PUT /state, or with a delay (MSC4140) its scheduling: `{"delay_id"}` instead of `{"event_id"}`.
   * Joining oneself this way is a join like POST /join (membership checks, remote rooms too).
   */
  const putState = (requester: Requester, request: Request, roomId: string, type: string, stateKey: string, body: unknown, query: Record<string, string | undefined>) => {
    const delayMs = delayParam(query);
    const content = eventContent(request, body, rulesOf(roomId));
    const selfJoin = type === "m.room.member" && stateKey === requester.userId && content.membership === "join";
    if (delayMs === undefined && selfJoin && heads.get(roomId)?.joined.has(requester.userId) !== true) {
      return membership.joinByState(requester, roomId, content);
    }
    if (delayMs === undefined) return rooms.setState(requester, roomId, type, stateKey, content, { ts: timestamp(query.ts) });
    return delayed.schedule(requester, { roomId, type, stateKey, content, delayMs, ts: timestamp(query.ts), tooLong: maxDelayExceeded });
  };
  return new Elysia()
    .use(clientAuth(auth))
    .put(`${ROOM}/send/:eventType/:txnId`, ({ requester, params, body, query, request }) => {
      const delayMs = delayParam(query);
      const { roomId, eventType: type, txnId } = params;
      const content = eventContent(request, body, rulesOf(roomId));
      if (delayMs === undefined) return rooms.sendMessage(requester, roomId, type, txnId, content, { ts: timestamp(query.ts) });
      return delayed.schedule(requester, { roomId, type, content, delayMs, txnId, ts: timestamp(query.ts), tooLong: maxDelayExceeded });
    }, { auth: true })
    .post(`${ROOM}/send/:eventType`, ({ requester, params, body, query, request }) =>
      rooms.sendMessage(requester, params.roomId, params.eventType, undefined, eventContent(request, body, rulesOf(params.roomId)), { ts: timestamp(query.ts) }), { auth: true })
    .put(`${ROOM}/state/:eventType/:stateKey`, ({ requester, params, body, query, request }) =>
      putState(requester, request, params.roomId, params.eventType, params.stateKey, body, query), { auth: true })
    .put(`${ROOM}/state/:eventType`, ({ requester, params, body, query, request }) =>
      putState(requester, request, params.roomId, params.eventType, "", body, query), { auth: true })
    .get(`${ROOM}/state`, ({ requester, params }) => rooms.getState(requester, params.roomId), { auth: true })
    .get(`${ROOM}/state/:eventType/:stateKey`, ({ requester, params, query }) =>
      rooms.getStateEvent(requester, params.roomId, params.eventType, params.stateKey, query.format ?? "content"),
      { auth: true, query: t.Object({ format: t.Optional(t.Union([t.Literal("content"), t.Literal("event")])) }) })
    .get(`${ROOM}/state/:eventType`, ({ requester, params, query }) =>
      rooms.getStateEvent(requester, params.roomId, params.eventType, "", query.format ?? "content"),
      { auth: true, query: t.Object({ format: t.Optional(t.Union([t.Literal("content"), t.Literal("event")])) }) })
    .put(`${ROOM}/redact/:eventId/:txnId`, ({ requester, params, body }) =>
      rooms.redact(requester, params.roomId, params.eventId, params.txnId, redactReason(body)), { auth: true })
    .post(`${ROOM}/redact/:eventId`, ({ requester, params, body }) =>
      rooms.redact(requester, params.roomId, params.eventId, undefined, redactReason(body)), { auth: true })
    .get(`${ROOM}/event/:eventId`, ({ requester, params }) => timeline.getEvent(requester, params.roomId, params.eventId), { auth: true })
    .get(`${ROOM}/messages`, async ({ requester, params, query }) => {
      const dir = query.dir ?? "b";
      // Paging back past our earliest event fetches older history from the room's other servers.
      if (dir === "b") await federation.backfill.beforeMessages(requester, params.roomId, query.from, query.limit ?? 10);
      return timeline.messages(requester, params.roomId, { ...query, dir });
    },
      {
        auth: true,
        query: t.Object({
          dir: t.Optional(Dir),
          from: t.Optional(t.String()),
          to: t.Optional(t.String()),
          limit: t.Optional(t.Numeric({ minimum: 0 })),
          filter: t.Optional(t.String()),
        }),
      })
    .get(`${ROOM}/context/:eventId`, ({ requester, params, query }) =>
      timeline.context(requester, params.roomId, params.eventId, query.limit, query.filter),
      { auth: true, query: t.Object({ limit: t.Optional(t.Numeric({ minimum: 0 })), filter: t.Optional(t.String()) }) })
    .get("/_matrix/client/v1/rooms/:roomId/timestamp_to_event", ({ requester, params, query }) =>
      timeline.timestampToEvent(requester, params.roomId, query.ts, query.dir),
      { auth: true, query: t.Object({ ts: t.Numeric(), dir: Dir }) });
};
