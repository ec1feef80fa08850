/**
 * GET /_matrix/client/v3/rooms/{roomId}/members — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidmembers
 * GET /_matrix/client/v3/rooms/{roomId}/joined_members — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidjoined_members
 * The members of a room: member events (optionally at a point in time, filtered by membership), and
 * the joined members' display names and avatars.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

const Membership = t.Union(["join", "invite", "knock", "leave", "ban"].map((m) => t.Literal(m)));

export const roomMembersRoutes = ({ accounts: { tokens: auth }, rooms: { actions: rooms } }: Services) =>
  new Elysia()
    .use(clientAuth(auth))
    .get("/_matrix/client/v3/rooms/:roomId/members", ({ requester, params, query }) => rooms.members(requester, params.roomId, query), {
      auth: true,
      query: t.Object({ at: t.Optional(t.String()), membership: t.Optional(Membership), not_membership: t.Optional(Membership) }),
    })
    .get("/_matrix/client/v3/rooms/:roomId/joined_members", ({ requester, params }) => rooms.joinedMembers(requester, params.roomId), {
      auth: true,
    });
