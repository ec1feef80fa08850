/**
 * POST /_matrix/client/v3/join/{roomIdOrAlias} — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3joinroomidoralias
 * POST /_matrix/client/v3/rooms/{roomId}/join — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidjoin
 * POST /_matrix/client/v3/knock/{roomIdOrAlias} — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3knockroomidoralias
 * POST /_matrix/client/v3/rooms/{roomId}/invite — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidinvite
 * POST /_matrix/client/v3/rooms/{roomId}/leave — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidleave
 * POST /_matrix/client/v3/rooms/{roomId}/forget — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidforget
 * POST /_matrix/client/v3/rooms/{roomId}/kick — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidkick
 * POST /_matrix/client/v3/rooms/{roomId}/ban — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidban
 * POST /_matrix/client/v3/rooms/{roomId}/unban — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidunban
 * Changing room membership; the auth rules decide, refusals are 403 M_FORBIDDEN.
 */
import { Elysia, t } from "elysia";
import type { JsonObject } from "../../core/types";
import type { Services } from "../../services";
import { identityServerNotTrusted } from "../../services/matrix-error";
import { clientAuth } from "../plugins/client-auth";

const ROOM = "/_matrix/client/v3/rooms/:roomId";
const Reason = t.Object({ reason: t.Optional(t.String()) });
/** A join's body: its other keys go into the member event's content (see `joinContent`). */
const JoinBody = t.Object({ reason: t.Optional(t.String()) }, { additionalProperties: true });
const joinExtra = (body: { reason?: string } | null | undefined) => (body ?? {}) as JsonObject;
const Target = t.Object({ user_id: t.String(), reason: t.Optional(t.String()) });
/** An invite by email or phone number (the spec's third-party invite, through an identity server). */
const ThirdPartyTarget = t.Object({ id_server: t.String(), medium: t.String(), address: t.String(), id_access_token: t.Optional(t.String()) });

/** Servers to join through: `via` (since v1.12) and the older `server_name`, each repeatable. */
const Via = t.Object({
  via: t.Optional(t.Union([t.String(), t.Array(t.String())])),
  server_name: t.Optional(t.Union([t.String(), t.Array(t.String())])),
});
const viaOf = (q: { via?: string | string[]; server_name?: string | string[] }) => [q.via ?? [], q.server_name ?? []].flat();

export const membershipRoutes = ({ accounts: { tokens: auth }, appservices, membership }: Services) =>
  new Elysia()
    .use(clientAuth(auth))
    // Joins, knocks, invites and leaves may need another server: federation decides.
    .post("/_matrix/client/v3/join/:roomIdOrAlias", ({ requester, params, body, query }) =>
      membership.join(requester, params.roomIdOrAlias, joinExtra(body), viaOf(query)), {
      auth: true,
      body: t.Optional(JoinBody),
      query: Via,
    })
    .post(`${ROOM}/join`, ({ requester, params, body }) => membership.join(requester, params.roomId, joinExtra(body)), {
      auth: true,
      body: t.Optional(JoinBody),
    })
    .post("/_matrix/client/v3/knock/:roomIdOrAlias", ({ requester, params, body, query }) =>
      membership.knock(requester, params.roomIdOrAlias, body?.reason, viaOf(query)), {
      auth: true,
      body: t.Optional(Reason),
      query: Via,
    })
    .post(`${ROOM}/invite`, async ({ requester, params, body }) => {
      if (!("user_id" in body)) throw identityServerNotTrusted();
      await appservices.queries.userExists(body.user_id); // an appservice may create its user now
      await membership.invite(requester, params.roomId, body.user_id, body.reason);
      return {};
    }, { auth: true, body: t.Union([Target, ThirdPartyTarget]) })
    .post(`${ROOM}/leave`, async ({ requester, params, body }) => {
      await membership.leave(requester, params.roomId, body?.reason);
      return {};
    }, { auth: true, body: t.Optional(Reason) })
    .post(`${ROOM}/forget`, ({ requester, params }) => {
      membership.forget(requester, params.roomId);
      return {};
    }, { auth: true })
    .post(`${ROOM}/kick`, async ({ requester, params, body }) => {
      await membership.kick(requester, params.roomId, body.user_id, body.reason);
      return {};
    }, { auth: true, body: Target })
    .post(`${ROOM}/ban`, async ({ requester, params, body }) => {
      await membership.ban(requester, params.roomId, body.user_id, body.reason);
      return {};
    }, { auth: true, body: Target })
    .post(`${ROOM}/unban`, async ({ requester, params, body }) => {
      await membership.unban(requester, params.roomId, body.user_id, body.reason);
      return {};
    }, { auth: true, body: Target });
