/**
 * The user half of the admin API, in the shapes Synapse's admin API answers (what synapse-admin
 * and moderation bots read): list and query accounts, create or modify one, deactivate, reset a
 * password, the admin flag, devices, joined rooms, whois, and the restrictions (shadow-ban, lock,
 * suspend). The spec's own admin endpoints (`/_matrix/client/v1/admin/lock|suspend`, whois) are
 * answered from the same functions. Only local users are managed.
 */
import type { Clock } from "../../runtime/clock";
import type { Storage } from "../../storage";
import { USER_ORDER_COLUMNS, type DeviceRow, type UserListQuery, type UserOrder, type UserRow } from "../../storage/accounts";
import type { Requester } from "../accounts/access-tokens";
import { actingAs } from "./guard";
import type { DeviceChanges } from "../accounts/device-changes";
import { hashPassword } from "../accounts/passwords";
import type { ProfileService } from "../accounts/profile";
import { isLocalUserId } from "../accounts/user-ids";
import type { AccountsService } from "../accounts/users";
import { invalidParam, notFound } from "../matrix-error";
import { createLocalUser } from "./user-creation";

/** The columns the user list sorts by (`order_by`). */
export const USER_ORDERS = Object.keys(USER_ORDER_COLUMNS) as UserOrder[];

/** A user as Synapse's admin API shows one. */
export interface AdminUser {
  name: string;
  displayname: string | null;
  avatar_url: string | null;
  is_guest: boolean;
  admin: boolean;
  deactivated: boolean;
  erased: boolean;
  shadow_banned: boolean;
  locked: boolean;
  suspended: boolean;
  creation_ts: number;
  user_type: null;
  approved: boolean;
  appservice_id: null;
  threepids: never[];
  external_ids: never[];
  last_seen_ts: number | null;
}

export interface AdminDevice {
  device_id: string;
  display_name: string | null;
  last_seen_ip: string | null;
  last_seen_ts: number | null;
  last_seen_user_agent: null;
  user_id: string;
}

/** The fields `PUT /_synapse/admin/v2/users/{userId}` reads. */
export interface UserChanges {
  password?: string;
  logout_devices?: boolean;
  displayname?: string | null;
  avatar_url?: string | null;
  admin?: boolean;
  deactivated?: boolean;
  locked?: boolean;
}

/** A restriction kept as a flag on the account. */
export type Restriction = "locked" | "suspended" | "shadow_banned";

export interface AdminUsersDeps {
  storage: Storage;
  clock: Clock;
  serverName: string;
  users: AccountsService;
  profile: ProfileService;
  deviceChanges: DeviceChanges;
  /** Told of every account made an admin here (the admin room invites it). */
  onPromoted: (userId: string) => Promise<void>;
}

/** Acting on a user's profile as that user (the profile service checks ownership). */

export function createAdminUsers({ storage, clock, serverName, users, profile, deviceChanges, onPromoted }: AdminUsersDeps) {
  const lastSeen = (userId: string): number | null =>
    storage.accounts.getDevices(userId).reduce<number | null>((max, d) => (d.last_seen_ts !== null && (max === null || d.last_seen_ts > max) ? d.last_seen_ts : max), null);

  const toAdminUser = (row: UserRow): AdminUser => ({
    name: row.user_id,
    displayname: row.displayname,
    avatar_url: row.avatar_url,
    is_guest: row.is_guest === 1,
    admin: row.admin === 1,
    deactivated: row.deactivated === 1,
    erased: false,
    shadow_banned: row.shadow_banned === 1,
    locked: row.locked === 1,
    suspended: row.suspended === 1,
    creation_ts: row.created_ts,
    user_type: null,
    approved: true,
    appservice_id: null,
    threepids: [],
    external_ids: [],
    last_seen_ts: lastSeen(row.user_id),
  });

  const toAdminDevice = (userId: string, row: DeviceRow): AdminDevice => ({
    device_id: row.device_id,
    display_name: row.display_name,
    last_seen_ip: row.last_seen_ip,
    last_seen_ts: row.last_seen_ts,
    last_seen_user_agent: null,
    user_id: userId,
  });

  /** 400 for another server's user, 404 for an unknown one. */
  function localUser(userId: string): UserRow {
    if (!isLocalUserId(userId, serverName)) throw invalidParam("Only local users can be managed here");
    const row = storage.accounts.getUser(userId);
    if (!row) throw notFound("User not found");
    return row;
  }

  async function modify(row: UserRow, changes: UserChanges): Promise<void> {
    const userId = row.user_id;
    if (changes.deactivated === true && row.deactivated === 0) {
      await users.deactivateByAdmin(userId);
      return;
    }
    if (changes.deactivated === false && row.deactivated === 1) {
      // Synapse asks for a password when reactivating an account that would otherwise have none.
      const hash = changes.password === undefined ? null : await hashPassword(changes.password);
      storage.accounts.reactivateUser(userId, hash);
    } else if (changes.password !== undefined) {
      await users.resetPassword(userId, changes.password, changes.logout_devices ?? true);
    }
    if (changes.admin !== undefined) storage.accounts.setFlag(userId, "admin", changes.admin);
    if (changes.admin && row.admin === 0) await onPromoted(userId);
    if (changes.locked !== undefined) storage.accounts.setFlag(userId, "locked", changes.locked);
    if (changes.displayname !== undefined) await profile.setField(actingAs(userId), userId, "displayname", { displayname: changes.displayname ?? "" });
    if (changes.avatar_url !== undefined) await profile.setField(actingAs(userId), userId, "avatar_url", { avatar_url: changes.avatar_url ?? "" });
  }

  return {
    /** `GET /_synapse/admin/v2/users` */
    list(q: UserListQuery): { users: AdminUser[]; total: number; next_token?: string } {
      const { rows, total } = storage.accounts.listUsers(q);
      const next = q.offset + rows.length;
      return { users: rows.map(toAdminUser), total, ...(next < total && rows.length > 0 ? { next_token: String(next) } : {}) };
    },

    /** `GET /_synapse/admin/v2/users/{userId}` */
    get(userId: string): AdminUser {
      return toAdminUser(localUser(userId));
    },

    /** `PUT /_synapse/admin/v2/users/{userId}`: creates the account when it does not exist. */
    async createOrModify(userId: string, changes: UserChanges): Promise<{ created: boolean; user: AdminUser }> {
      if (!isLocalUserId(userId, serverName)) throw invalidParam("Only local users can be managed here");
      const existing = storage.accounts.getUser(userId);
      if (existing) {
        await modify(existing, changes);
        return { created: false, user: toAdminUser(localUser(userId)) };
      }
      if (changes.deactivated) throw invalidParam("A new account cannot start deactivated");
      await createLocalUser(storage, clock, serverName, {
        name: userId,
        password: changes.password,
        admin: changes.admin ?? false,
        displayname: changes.displayname ?? undefined,
      });
      if (changes.avatar_url) await profile.setField(actingAs(userId), userId, "avatar_url", { avatar_url: changes.avatar_url });
      if (changes.locked) storage.accounts.setFlag(userId, "locked", true);
      if (changes.admin) await onPromoted(userId);
      return { created: true, user: toAdminUser(localUser(userId)) };
    },

    /** `POST /_synapse/admin/v1/deactivate/{userId}`; with `erase`, the account data goes too. */
    async deactivate(userId: string, erase: boolean): Promise<{ id_server_unbind_result: "success" }> {
      const row = localUser(userId);
      if (row.deactivated === 0) await users.deactivateByAdmin(userId);
      if (erase) storage.accountData.deleteForUser(userId);
      return { id_server_unbind_result: "success" };
    },

    /** `POST /_synapse/admin/v1/reset_password/{userId}` */
    async resetPassword(userId: string, newPassword: string, logoutDevices: boolean): Promise<void> {
      const row = localUser(userId);
      if (row.deactivated) throw invalidParam("The account is deactivated");
      await users.resetPassword(userId, newPassword, logoutDevices);
    },

    isAdmin(userId: string): boolean {
      return localUser(userId).admin === 1;
    },

    /** `PUT /_synapse/admin/v1/users/{userId}/admin`: an admin may not demote themselves (no admin-less server by accident). */
    async setAdmin(requester: Requester, userId: string, admin: boolean): Promise<void> {
      const row = localUser(userId);
      if (userId === requester.userId && !admin) throw invalidParam("You may not demote yourself");
      storage.accounts.setFlag(userId, "admin", admin);
      if (admin && row.admin === 0) await onPromoted(userId);
    },

    restriction(userId: string, which: Restriction): boolean {
      return localUser(userId)[which] === 1;
    },

    /** Sessions survive: locking and suspension are undone by clearing the flag. */
    setRestriction(userId: string, which: Restriction, on: boolean): void {
      localUser(userId);
      storage.accounts.setFlag(userId, which, on);
    },

    devices(userId: string): { devices: AdminDevice[]; total: number } {
      localUser(userId);
      const devices = storage.accounts.getDevices(userId).map((d) => toAdminDevice(userId, d));
      return { devices, total: devices.length };
    },

    device(userId: string, deviceId: string): AdminDevice {
      localUser(userId);
      const row = storage.accounts.getDevice(userId, deviceId);
      if (!row) throw notFound("Device not found");
      return toAdminDevice(userId, row);
    },

    renameDevice(userId: string, deviceId: string, displayName: string | null): void {
      localUser(userId);
      storage.transaction(() => {
        if (!storage.accounts.setDeviceDisplayName(userId, deviceId, displayName)) throw notFound("Device not found");
        deviceChanges.emit({ userId, deviceIds: [deviceId], kind: "renamed" });
      });
    },

    /** Deleting devices that are already gone succeeds, as the client API does. */
    deleteDevices(userId: string, deviceIds: readonly string[]): void {
      localUser(userId);
      storage.transaction(() => {
        const deleted = deviceIds.filter((deviceId) => storage.accounts.deleteDevice(userId, deviceId));
        deviceChanges.emit({ userId, deviceIds: deleted, kind: "deleted" });
      });
    },

    /** `GET /_synapse/admin/v1/users/{userId}/joined_rooms` */
    joinedRooms(userId: string): { joined_rooms: string[]; total: number } {
      localUser(userId);
      const rooms = storage.memberships.forUser(userId).filter((m) => m.membership === "join").map((m) => m.room_id);
      return { joined_rooms: rooms, total: rooms.length };
    },

    /** whois (spec `GET /admin/whois/{userId}` and Synapse's): each device's last connection. */
    whois(userId: string) {
      localUser(userId);
      const devices: Record<string, { sessions: { connections: { ip: string | null; last_seen: number | null; user_agent: null }[] }[] }> = {};
      for (const d of storage.accounts.getDevices(userId)) {
        const connections = d.last_seen_ts === null ? [] : [{ ip: d.last_seen_ip, last_seen: d.last_seen_ts, user_agent: null }];
        devices[d.device_id] = { sessions: [{ connections }] };
      }
      return { user_id: userId, devices };
    },
  };
}
export type AdminUsers = ReturnType<typeof createAdminUsers>;
