/**
 * Membership handshakes with other servers:
 *   GET /_matrix/federation/v1/make_join/{roomId}/{userId}        https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1make_joinroomiduserid
 *   PUT /_matrix/federation/v2/send_join/{roomId}/{eventId}       https://spec.matrix.org/v1.19/server-server-api/#put_matrixfederationv2send_joinroomideventid
 *   GET /_matrix/federation/v1/make_leave/{roomId}/{userId}       https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1make_leaveroomiduserid
 *   PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId}      https://spec.matrix.org/v1.19/server-server-api/#put_matrixfederationv2send_leaveroomideventid
 *   GET /_matrix/federation/v1/make_knock/{roomId}/{userId}       https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1make_knockroomiduserid
 *   PUT /_matrix/federation/v1/send_knock/{roomId}/{eventId}      https://spec.matrix.org/v1.19/server-server-api/#put_matrixfederationv1send_knockroomideventid
 *   PUT /_matrix/federation/v2/invite/{roomId}/{eventId}          https://spec.matrix.org/v1.19/server-server-api/#put_matrixfederationv2inviteroomideventid
 * and the deprecated v1 forms older servers still call, whose answers are wrapped as `[200, body]`:
 *   PUT /_matrix/federation/v1/send_join/{roomId}/{eventId}       https://spec.matrix.org/v1.19/server-server-api/#put_matrixfederationv1send_joinroomideventid
 *   PUT /_matrix/federation/v1/send_leave/{roomId}/{eventId}      https://spec.matrix.org/v1.19/server-server-api/#put_matrixfederationv1send_leaveroomideventid
 *   PUT /_matrix/federation/v1/invite/{roomId}/{eventId}          https://spec.matrix.org/v1.19/server-server-api/#put_matrixfederationv1inviteroomideventid
 *     (the body is the event itself, its stripped state in `unsigned.invite_room_state`, and no
 *     room version: as the spec says, such an invite is for a room of version 1 or 2)
 * Event bodies are checked by the services (format, signatures), not by a schema here.
 */
import { Elysia, t } from "elysia";
import { isJsonObject } from "../../core";
import type { Services } from "../../services";
import { serverAuth } from "../plugins/server-auth";

const Versions = t.Object({ ver: t.Optional(t.Union([t.String(), t.Array(t.String())])) });
const versionsOf = (ver: string | string[] | undefined) => (ver === undefined ? undefined : typeof ver === "string" ? [ver] : ver);
const v1Answer = async <T>(answer: Promise<T>): Promise<[200, T]> => [200, await answer];

/** A v1 invite body as the v2 API carries it. */
function v2InviteBody(body: unknown): unknown {
  if (!isJsonObject(body)) return body;
  const strippedState = isJsonObject(body.unsigned) ? body.unsigned.invite_room_state : undefined;
  return { room_version: "1", event: body, invite_room_state: Array.isArray(strippedState) ? strippedState : [] };
}

export const federationMembershipRoutes = ({ federation, membership }: Services) => {
  const { handshakes } = federation;
  return new Elysia()
    .use(serverAuth(federation))
    .get(
      "/_matrix/federation/v1/make_join/:roomId/:userId",
      ({ origin, params, query }) => handshakes.makeMembership(origin, params.roomId, params.userId, "join", versionsOf(query.ver)),
      { federation: true, query: Versions },
    )
    .get(
      "/_matrix/federation/v1/make_knock/:roomId/:userId",
      ({ origin, params, query }) => handshakes.makeMembership(origin, params.roomId, params.userId, "knock", versionsOf(query.ver)),
      { federation: true, query: Versions },
    )
    .get(
      "/_matrix/federation/v1/make_leave/:roomId/:userId",
      ({ origin, params }) => handshakes.makeMembership(origin, params.roomId, params.userId, "leave"),
      { federation: true },
    )
    .put("/_matrix/federation/v2/send_join/:roomId/:eventId", ({ origin, params, body }) =>
      handshakes.sendJoin(origin, params.roomId, params.eventId, body), { federation: true })
    .put("/_matrix/federation/v2/send_leave/:roomId/:eventId", ({ origin, params, body }) =>
      handshakes.sendLeave(origin, params.roomId, params.eventId, body), { federation: true })
    .put("/_matrix/federation/v1/send_knock/:roomId/:eventId", ({ origin, params, body }) =>
      handshakes.sendKnock(origin, params.roomId, params.eventId, body), { federation: true })
    .put("/_matrix/federation/v2/invite/:roomId/:eventId", ({ origin, params, body }) =>
      membership.receiveInvite(origin, params.roomId, params.eventId, body), { federation: true })
    .put("/_matrix/federation/v1/send_join/:roomId/:eventId", ({ origin, params, body }) =>
      v1Answer(handshakes.sendJoin(origin, params.roomId, params.eventId, body)), { federation: true })
    .put("/_matrix/federation/v1/send_leave/:roomId/:eventId", ({ origin, params, body }) =>
      v1Answer(handshakes.sendLeave(origin, params.roomId, params.eventId, body)), { federation: true })
    .put("/_matrix/federation/v1/invite/:roomId/:eventId", ({ origin, params, body }) =>
      v1Answer(membership.receiveInvite(origin, params.roomId, params.eventId, v2InviteBody(body))), { federation: true });
};
