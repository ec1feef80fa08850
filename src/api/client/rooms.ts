/**
 * POST /_matrix/client/v3/createRoom — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3createroom
 * GET  /_matrix/client/v3/joined_rooms — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3joined_rooms
 * POST /_matrix/client/v3/rooms/{roomId}/upgrade — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidupgrade
 * Creating rooms, listing the rooms a user is in, and upgrading a room to a new version.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import type { CreateRoomRequest } from "../../services/rooms/creation";
import { identityServerNotTrusted } from "../../services/matrix-error";
import { clientAuth } from "../plugins/client-auth";

const StateEvent = t.Object({ type: t.String(), state_key: t.Optional(t.String()), content: t.Record(t.String(), t.Unknown()) });

const CreateRoomBody = t.Object({
  visibility: t.Optional(t.Union([t.Literal("public"), t.Literal("private")])),
  room_alias_name: t.Optional(t.String()),
  name: t.Optional(t.String()),
  topic: t.Optional(t.String()),
  invite: t.Optional(t.Array(t.String())),
  invite_3pid: t.Optional(t.Array(t.Unknown())),
  room_version: t.Optional(t.String()),
  creation_content: t.Optional(t.Record(t.String(), t.Unknown())),
  initial_state: t.Optional(t.Array(StateEvent)),
  preset: t.Optional(t.Union([t.Literal("private_chat"), t.Literal("public_chat"), t.Literal("trusted_private_chat")])),
  is_direct: t.Optional(t.Boolean()),
  power_level_content_override: t.Optional(t.Record(t.String(), t.Unknown())),
});

export const roomsRoutes = ({
  accounts: { tokens: auth },
  appservices,
  rooms: { creation: roomCreation, actions: rooms },
  membership,
}: Services) =>
  new Elysia()
    .use(clientAuth(auth))
    .post(
      "/_matrix/client/v3/createRoom",
      async ({ requester, body }) => {
        // Checked before anything is created: a third-party invite needs an identity server.
        if (body.invite_3pid !== undefined && body.invite_3pid.length > 0) throw identityServerNotTrusted();
        // An invitee an appservice has not created yet is asked of it first.
        await Promise.all((body.invite ?? []).map((userId) => appservices.queries.userExists(userId)));
        const created = await roomCreation.createRoom(requester, body as CreateRoomRequest);
        await membership.inviteAfterCreation(requester, created.room_id, body.invite ?? [], body.is_direct === true);
        return created;
      },
      { auth: true, body: CreateRoomBody },
    )
    .get("/_matrix/client/v3/joined_rooms", ({ requester }) => rooms.joinedRooms(requester), { auth: true })
    .post(
      "/_matrix/client/v3/rooms/:roomId/upgrade",
      ({ requester, params, body }) => membership.upgrade(requester, params.roomId, body.new_version, body.additional_creators),
      { auth: true, body: t.Object({ new_version: t.String(), additional_creators: t.Optional(t.Array(t.String())) }) },
    );
