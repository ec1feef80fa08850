/**
 * The user endpoints of Synapse's admin API (https://element-hq.github.io/synapse/latest/admin_api/user_admin_api.html),
 * the subset synapse-admin and moderation bots call:
 * GET    /_synapse/admin/v2/users                              — list, with from/limit/name/user_id/guests/deactivated/admins/locked/order_by/dir
 * GET    /_synapse/admin/v2/users/{userId}                     — query an account
 * PUT    /_synapse/admin/v2/users/{userId}                     — create (201) or modify (200)
 * POST   /_synapse/admin/v1/deactivate/{userId}                — deactivate, `erase` too
 * POST   /_synapse/admin/v1/reset_password/{userId}
 * GET    /_synapse/admin/v1/users/{userId}/admin               — PUT sets it
 * GET    /_synapse/admin/v2/users/{userId}/devices             — POST .../delete_devices deletes several
 * GET    /_synapse/admin/v2/users/{userId}/devices/{deviceId}  — PUT renames, DELETE deletes
 * GET    /_synapse/admin/v1/users/{userId}/joined_rooms
 * GET    /_synapse/admin/v1/whois/{userId}
 * POST   /_synapse/admin/v1/users/{userId}/shadow_ban          — DELETE lifts it
 * PUT    /_synapse/admin/v1/suspend/{userId}                   — {"suspend": bool}
 * Every route needs a server admin's access token (403 M_FORBIDDEN otherwise).
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { USER_ORDERS } from "../../services/admin/users";
import { clientAuth } from "../plugins/client-auth";
import { boolParam, choiceParam, intParam } from "./query";

const USERS = "/_synapse/admin/v2/users";
const USER = "/_synapse/admin/v2/users/:userId";
const DEVICES = "/_synapse/admin/v2/users/:userId/devices";
const DEVICE = "/_synapse/admin/v2/users/:userId/devices/:deviceId";
/** Synapse pages user lists by 100 unless told otherwise. */
const DEFAULT_LIMIT = 100;

const ListQuery = t.Object({
  from: t.Optional(t.String()),
  limit: t.Optional(t.String()),
  name: t.Optional(t.String()),
  user_id: t.Optional(t.String()),
  guests: t.Optional(t.String()),
  deactivated: t.Optional(t.String()),
  admins: t.Optional(t.String()),
  locked: t.Optional(t.String()),
  order_by: t.Optional(t.String()),
  dir: t.Optional(t.String()),
});

const UserBody = t.Object({
  password: t.Optional(t.String()),
  logout_devices: t.Optional(t.Boolean()),
  displayname: t.Optional(t.Union([t.String(), t.Null()])),
  avatar_url: t.Optional(t.Union([t.String(), t.Null()])),
  admin: t.Optional(t.Boolean()),
  deactivated: t.Optional(t.Boolean()),
  locked: t.Optional(t.Boolean()),
  threepids: t.Optional(t.Array(t.Unknown())),
  external_ids: t.Optional(t.Array(t.Unknown())),
  user_type: t.Optional(t.Union([t.String(), t.Null()])),
});

export const adminUserRoutes = ({ accounts: { tokens }, admin: { guard, users } }: Services) =>
  new Elysia()
    .use(clientAuth(tokens))
    .get(
      USERS,
      ({ requester, query }) => {
        guard.authorize(requester, "list users");
        return users.list({
          search: query.name ?? query.user_id,
          guests: boolParam(query.guests, "guests") ?? true,
          deactivated: boolParam(query.deactivated, "deactivated") ?? false,
          admins: boolParam(query.admins, "admins"),
          locked: boolParam(query.locked, "locked"),
          orderBy: choiceParam(query.order_by, "order_by", USER_ORDERS) ?? "name",
          backwards: choiceParam(query.dir, "dir", ["f", "b"] as const) === "b",
          offset: intParam(query.from, "from") ?? 0,
          limit: intParam(query.limit, "limit", 1) ?? DEFAULT_LIMIT,
        });
      },
      { auth: true, query: ListQuery },
    )
    .get(
      USER,
      ({ requester, params }) => {
        guard.authorize(requester, "query user", { user_id: params.userId });
        return users.get(params.userId);
      },
      { auth: true },
    )
    .put(
      USER,
      async ({ requester, params, body, set }) => {
        guard.authorize(requester, "create or modify user", { user_id: params.userId, changes: Object.keys(body) });
        const { created, user } = await users.createOrModify(params.userId, body);
        if (created) set.status = 201;
        return user;
      },
      { auth: true, body: UserBody },
    )
    .post(
      "/_synapse/admin/v1/deactivate/:userId",
      ({ requester, params, body }) => {
        guard.authorize(requester, "deactivate user", { user_id: params.userId, erase: body?.erase ?? false });
        return users.deactivate(params.userId, body?.erase ?? false);
      },
      { auth: true, body: t.Optional(t.Object({ erase: t.Optional(t.Boolean()) })) },
    )
    .post(
      "/_synapse/admin/v1/reset_password/:userId",
      async ({ requester, params, body }) => {
        guard.authorize(requester, "reset password", { user_id: params.userId });
        await users.resetPassword(params.userId, body.new_password, body.logout_devices ?? true);
        return {};
      },
      { auth: true, body: t.Object({ new_password: t.String(), logout_devices: t.Optional(t.Boolean()) }) },
    )
    .get(
      "/_synapse/admin/v1/users/:userId/admin",
      ({ requester, params }) => {
        guard.authorize(requester, "query admin flag", { user_id: params.userId });
        return { admin: users.isAdmin(params.userId) };
      },
      { auth: true },
    )
    .put(
      "/_synapse/admin/v1/users/:userId/admin",
      async ({ requester, params, body }) => {
        guard.authorize(requester, "set admin flag", { user_id: params.userId, admin: body.admin });
        await users.setAdmin(requester, params.userId, body.admin);
        return {};
      },
      { auth: true, body: t.Object({ admin: t.Boolean() }) },
    )
    .get(
      DEVICES,
      ({ requester, params }) => {
        guard.authorize(requester, "list devices", { user_id: params.userId });
        return users.devices(params.userId);
      },
      { auth: true },
    )
    .post(
      "/_synapse/admin/v2/users/:userId/delete_devices",
      ({ requester, params, body }) => {
        guard.authorize(requester, "delete devices", { user_id: params.userId, devices: body.devices });
        users.deleteDevices(params.userId, body.devices);
        return {};
      },
      { auth: true, body: t.Object({ devices: t.Array(t.String()) }) },
    )
    .get(
      DEVICE,
      ({ requester, params }) => {
        guard.authorize(requester, "query device", { user_id: params.userId, device_id: params.deviceId });
        return users.device(params.userId, params.deviceId);
      },
      { auth: true },
    )
    .put(
      DEVICE,
      ({ requester, params, body }) => {
        guard.authorize(requester, "rename device", { user_id: params.userId, device_id: params.deviceId });
        users.renameDevice(params.userId, params.deviceId, body.display_name ?? null);
        return {};
      },
      { auth: true, body: t.Object({ display_name: t.Optional(t.Union([t.String(), t.Null()])) }) },
    )
    .delete(
      DEVICE,
      ({ requester, params }) => {
        guard.authorize(requester, "delete device", { user_id: params.userId, device_id: params.deviceId });
        users.deleteDevices(params.userId, [params.deviceId]);
        return {};
      },
      { auth: true },
    )
    .get(
      "/_synapse/admin/v1/users/:userId/joined_rooms",
      ({ requester, params }) => {
        guard.authorize(requester, "list joined rooms", { user_id: params.userId });
        return users.joinedRooms(params.userId);
      },
      { auth: true },
    )
    .get(
      "/_synapse/admin/v1/whois/:userId",
      ({ requester, params }) => {
        guard.authorize(requester, "whois", { user_id: params.userId });
        return users.whois(params.userId);
      },
      { auth: true },
    )
    .post(
      "/_synapse/admin/v1/users/:userId/shadow_ban",
      ({ requester, params }) => {
        guard.authorize(requester, "shadow-ban", { user_id: params.userId });
        users.setRestriction(params.userId, "shadow_banned", true);
        return {};
      },
      { auth: true },
    )
    .delete(
      "/_synapse/admin/v1/users/:userId/shadow_ban",
      ({ requester, params }) => {
        guard.authorize(requester, "lift shadow-ban", { user_id: params.userId });
        users.setRestriction(params.userId, "shadow_banned", false);
        return {};
      },
      { auth: true },
    )
    .put(
      "/_synapse/admin/v1/suspend/:userId",
      ({ requester, params, body }) => {
        guard.authorize(requester, body.suspend ? "suspend" : "unsuspend", { user_id: params.userId });
        users.setRestriction(params.userId, "suspended", body.suspend);
        return { [`user_${params.userId}_suspended`]: body.suspend };
      },
      { auth: true, body: t.Object({ suspend: t.Boolean() }) },
    );
