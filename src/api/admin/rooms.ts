/**
 * The room endpoints of Synapse's admin API (https://element-hq.github.io/synapse/latest/admin_api/rooms.html):
 * GET  /_synapse/admin/v1/rooms                          — from/limit/order_by/dir/search_term
 * GET  /_synapse/admin/v1/rooms/{roomId}
 * GET  /_synapse/admin/v1/rooms/{roomId}/members
 * GET  /_synapse/admin/v1/rooms/{roomId}/state
 * GET  /_synapse/admin/v1/rooms/{roomId}/block           — PUT {"block": bool} sets it
 * POST /_synapse/admin/v1/rooms/{roomId}/make_room_admin — {"user_id"}: the requester by default
 * DELETE /_synapse/admin/v2/rooms/{roomId}                — in the background: {"delete_id"}
 * GET  /_synapse/admin/v2/rooms/{roomId}/delete_status
 * GET  /_synapse/admin/v2/rooms/delete_status/{deleteId}
 * DELETE /_synapse/admin/v1/rooms/{roomId}                — the same, answered when done
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { DEFAULT_ROOM_ORDER, ROOM_ORDERS } from "../../services/admin/rooms";
import { clientAuth } from "../plugins/client-auth";
import { choiceParam, intParam } from "./query";

const ROOM = "/_synapse/admin/v1/rooms/:roomId";
const DEFAULT_LIMIT = 100;

const DeleteBody = t.Optional(
  t.Object({
    new_room_user_id: t.Optional(t.String()),
    room_name: t.Optional(t.String()),
    message: t.Optional(t.String()),
    block: t.Optional(t.Boolean()),
    purge: t.Optional(t.Boolean()),
    force_purge: t.Optional(t.Boolean()),
  }),
);
type DeleteRequest = NonNullable<typeof DeleteBody.static>;
const deleteOptions = (body: DeleteRequest | null | undefined) => ({
  block: body?.block ?? false,
  purge: body?.purge ?? true,
  forcePurge: body?.force_purge ?? false,
  newRoomUserId: body?.new_room_user_id,
  roomName: body?.room_name,
  message: body?.message,
});

export const adminRoomRoutes = ({ accounts: { tokens }, admin: { guard, rooms, deletion } }: Services) =>
  new Elysia()
    .use(clientAuth(tokens))
    .get(
      "/_synapse/admin/v1/rooms",
      ({ requester, query }) => {
        guard.authorize(requester, "list rooms");
        return rooms.list({
          search: query.search_term,
          orderBy: choiceParam(query.order_by, "order_by", ROOM_ORDERS) ?? DEFAULT_ROOM_ORDER,
          backwards: choiceParam(query.dir, "dir", ["f", "b"] as const) === "b",
          offset: intParam(query.from, "from") ?? 0,
          limit: intParam(query.limit, "limit", 1) ?? DEFAULT_LIMIT,
        });
      },
      {
        auth: true,
        query: t.Object({
          from: t.Optional(t.String()),
          limit: t.Optional(t.String()),
          order_by: t.Optional(t.String()),
          dir: t.Optional(t.String()),
          search_term: t.Optional(t.String()),
        }),
      },
    )
    .get(
      ROOM,
      ({ requester, params }) => {
        guard.authorize(requester, "query room", { room_id: params.roomId });
        return rooms.details(params.roomId);
      },
      { auth: true },
    )
    .get(
      `${ROOM}/members`,
      ({ requester, params }) => {
        guard.authorize(requester, "list room members", { room_id: params.roomId });
        return rooms.members(params.roomId);
      },
      { auth: true },
    )
    .get(
      `${ROOM}/state`,
      ({ requester, params }) => {
        guard.authorize(requester, "read room state", { room_id: params.roomId });
        return rooms.state(params.roomId);
      },
      { auth: true },
    )
    .get(
      `${ROOM}/block`,
      ({ requester, params }) => {
        guard.authorize(requester, "query room block", { room_id: params.roomId });
        return rooms.blocked(params.roomId);
      },
      { auth: true },
    )
    .put(
      `${ROOM}/block`,
      ({ requester, params, body }) => {
        guard.authorize(requester, body.block ? "block room" : "unblock room", { room_id: params.roomId });
        return rooms.setBlocked(requester, params.roomId, body.block);
      },
      { auth: true, body: t.Object({ block: t.Boolean() }) },
    )
    .post(
      `${ROOM}/make_room_admin`,
      async ({ requester, params, body }) => {
        const userId = body?.user_id ?? requester.userId;
        guard.authorize(requester, "make room admin", { room_id: params.roomId, user_id: userId });
        await rooms.makeRoomAdmin(params.roomId, userId);
        return {};
      },
      { auth: true, body: t.Optional(t.Object({ user_id: t.Optional(t.String()) })) },
    )
    .delete(
      "/_synapse/admin/v2/rooms/:roomId",
      ({ requester, params, body }) => {
        const opts = deleteOptions(body);
        guard.authorize(requester, "delete room", { room_id: params.roomId, block: opts.block, purge: opts.purge });
        return { delete_id: deletion.start(requester.userId, params.roomId, opts).delete_id };
      },
      { auth: true, body: DeleteBody },
    )
    .delete(
      "/_synapse/admin/v1/rooms/:roomId",
      async ({ requester, params, body }) => {
        const opts = deleteOptions(body);
        guard.authorize(requester, "delete room", { room_id: params.roomId, block: opts.block, purge: opts.purge });
        const { delete_id, done } = deletion.start(requester.userId, params.roomId, opts);
        await done;
        return deletion.byId(delete_id).shutdown_room;
      },
      { auth: true, body: DeleteBody },
    )
    .get(
      "/_synapse/admin/v2/rooms/:roomId/delete_status",
      ({ requester, params }) => {
        guard.authorize(requester, "query room deletion", { room_id: params.roomId });
        return deletion.forRoom(params.roomId);
      },
      { auth: true },
    )
    .get(
      "/_synapse/admin/v2/rooms/delete_status/:deleteId",
      ({ requester, params }) => {
        guard.authorize(requester, "query room deletion", { delete_id: params.deleteId });
        return deletion.byId(params.deleteId);
      },
      { auth: true },
    );
