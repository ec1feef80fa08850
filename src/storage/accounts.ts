/**
 * Users, their profiles, devices and access tokens. Tokens are looked up by the SHA-256 of their
 * value, so a leaked database does not leak live sessions.
 */
import { SQLiteError, type Database } from "bun:sqlite";

export interface UserRow {
  user_id: string;
  password_hash: string | null;
  displayname: string | null;
  avatar_url: string | null;
  is_guest: number;
  deactivated: number;
  created_ts: number;
  admin: number;
  locked: number;
  suspended: number;
  shadow_banned: number;
}

/** The admin API's user list: filters (undefined: no filter) and one order column from this list. */
export const USER_ORDER_COLUMNS = {
  name: "user_id",
  displayname: "displayname",
  is_guest: "is_guest",
  admin: "admin",
  deactivated: "deactivated",
  shadow_banned: "shadow_banned",
  locked: "locked",
  suspended: "suspended",
  avatar_url: "avatar_url",
  creation_ts: "created_ts",
} as const;
export type UserOrder = keyof typeof USER_ORDER_COLUMNS;

export interface UserListQuery {
  /** A substring of the user id or the display name. */
  search?: string;
  guests: boolean;
  deactivated: boolean;
  /** true: only admins; false: only non-admins. */
  admins?: boolean;
  locked?: boolean;
  orderBy: UserOrder;
  backwards: boolean;
  offset: number;
  limit: number;
}

export interface NewUser {
  userId: string;
  passwordHash: string | null;
  displayname: string | null;
  isGuest: boolean;
  createdTs: number;
}

export interface TokenOwner {
  user_id: string;
  device_id: string;
  is_guest: number;
  deactivated: number;
  locked: number;
  suspended: number;
  shadow_banned: number;
}

export interface DeviceRow {
  device_id: string;
  display_name: string | null;
  last_seen_ts: number | null;
  last_seen_ip: string | null;
}

export interface ProfileFieldRow {
  key: string;
  value: string;
}

const SELECT_USER = "SELECT * FROM users WHERE user_id = ?";
const INSERT_USER = `
  INSERT INTO users (user_id, password_hash, displayname, is_guest, created_ts) VALUES (?, ?, ?, ?, ?)`;
const UPDATE_PASSWORD = "UPDATE users SET password_hash = ? WHERE user_id = ?";
const UPGRADE_GUEST = "UPDATE users SET password_hash = ?, is_guest = 0 WHERE user_id = ? AND is_guest = 1 AND deactivated = 0";
const DEACTIVATE_USER = `
  UPDATE users SET deactivated = 1, password_hash = NULL, displayname = NULL, avatar_url = NULL WHERE user_id = ?`;
const UPDATE_DISPLAYNAME = "UPDATE users SET displayname = ? WHERE user_id = ?";
const UPDATE_AVATAR_URL = "UPDATE users SET avatar_url = ? WHERE user_id = ?";

type Flag = "admin" | "locked" | "suspended" | "shadow_banned";
const SET_FLAG: Record<Flag, string> = {
  admin: "UPDATE users SET admin = ? WHERE user_id = ?",
  locked: "UPDATE users SET locked = ? WHERE user_id = ?",
  suspended: "UPDATE users SET suspended = ? WHERE user_id = ?",
  shadow_banned: "UPDATE users SET shadow_banned = ? WHERE user_id = ?",
};
const REACTIVATE_USER = "UPDATE users SET deactivated = 0, password_hash = ? WHERE user_id = ? AND deactivated = 1";
const SELECT_FIRST_ADMIN = "SELECT user_id FROM users WHERE admin = 1 AND deactivated = 0 ORDER BY created_ts, user_id LIMIT 1";
const COUNT_LOCAL_USERS = "SELECT count(*) AS n FROM users WHERE deactivated = 0";

/** The WHERE clause and its parameters for a user list query. */
function userListWhere(q: UserListQuery): { where: string; params: (string | number)[] } {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  if (q.search !== undefined) {
    clauses.push("(instr(lower(user_id), lower(?)) > 0 OR instr(lower(coalesce(displayname, '')), lower(?)) > 0)");
    params.push(q.search, q.search);
  }
  if (!q.guests) clauses.push("is_guest = 0");
  if (!q.deactivated) clauses.push("deactivated = 0");
  if (q.admins !== undefined) clauses.push(q.admins ? "admin = 1" : "admin = 0");
  if (q.locked !== undefined) clauses.push(q.locked ? "locked = 1" : "locked = 0");
  return { where: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

const SELECT_PROFILE_FIELDS = "SELECT key, value FROM user_profile_fields WHERE user_id = ? ORDER BY key";
const SELECT_PROFILE_FIELD = "SELECT value FROM user_profile_fields WHERE user_id = ? AND key = ?";
const UPSERT_PROFILE_FIELD = `
  INSERT INTO user_profile_fields (user_id, key, value) VALUES (?, ?, ?)
  ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value`;
const DELETE_PROFILE_FIELD = "DELETE FROM user_profile_fields WHERE user_id = ? AND key = ?";
const DELETE_PROFILE_FIELDS = "DELETE FROM user_profile_fields WHERE user_id = ?";

const SELECT_DEVICES = `
  SELECT device_id, display_name, last_seen_ts, last_seen_ip FROM devices WHERE user_id = ? ORDER BY created_ts, device_id`;
const SELECT_DEVICE = `
  SELECT device_id, display_name, last_seen_ts, last_seen_ip FROM devices WHERE user_id = ? AND device_id = ?`;
const INSERT_DEVICE = `
  INSERT INTO devices (user_id, device_id, display_name, created_ts) VALUES (?, ?, ?, ?)
  ON CONFLICT (user_id, device_id) DO NOTHING`;
const UPDATE_DEVICE_NAME = "UPDATE devices SET display_name = ? WHERE user_id = ? AND device_id = ?";
const UPDATE_DEVICE_SEEN = "UPDATE devices SET last_seen_ts = ?, last_seen_ip = ? WHERE user_id = ? AND device_id = ?";
const DELETE_DEVICE = "DELETE FROM devices WHERE user_id = ? AND device_id = ?";
const DELETE_ALL_DEVICES = "DELETE FROM devices WHERE user_id = ? RETURNING device_id";
const DELETE_OTHER_DEVICES = "DELETE FROM devices WHERE user_id = ? AND device_id <> ? RETURNING device_id";

const SELECT_TOKEN_OWNER = `
  SELECT t.user_id, t.device_id, u.is_guest, u.deactivated, u.locked, u.suspended, u.shadow_banned
  FROM access_tokens t JOIN users u ON u.user_id = t.user_id
  WHERE t.token_hash = ?`;
const INSERT_TOKEN = "INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts) VALUES (?, ?, ?, ?)";
const DELETE_DEVICE_TOKENS = "DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?";

function isUniqueViolation(e: unknown): boolean {
  return e instanceof SQLiteError && (e.code === "SQLITE_CONSTRAINT_PRIMARYKEY" || e.code === "SQLITE_CONSTRAINT_UNIQUE");
}

export function createAccountsRepo(db: Database) {
  // Every write that can end a token's validity or change what it says of its owner (device or
  // token deleted, password changed, guest upgraded, account deactivated) tells these listeners
  // the user, so the in-memory token cache drops that user's tokens: keep it so for new writes.
  const tokenListeners = new Set<(userId: string) => void>();
  const tokensChanged = (userId: string) => {
    for (const listener of tokenListeners) listener(userId);
  };
  return {
    /** Tells `listener` of each user whose tokens a write may have ended or changed; returns the unsubscribe. */
    onTokensChanged(listener: (userId: string) => void): () => void {
      tokenListeners.add(listener);
      return () => tokenListeners.delete(listener);
    },

    getUser(userId: string): UserRow | null {
      return db.query<UserRow, [string]>(SELECT_USER).get(userId);
    },

    /** Returns false, writing nothing, when the user id is taken (also when a concurrent insert won). */
    insertUser(user: NewUser): boolean {
      try {
        db.query(INSERT_USER).run(user.userId, user.passwordHash, user.displayname, user.isGuest ? 1 : 0, user.createdTs);
        return true;
      } catch (e) {
        if (isUniqueViolation(e)) return false;
        throw e;
      }
    },

    /** Sets one of the admin-managed flags; returns whether the user exists. */
    setFlag(userId: string, flag: Flag, on: boolean): boolean {
      return db.query(SET_FLAG[flag]).run(on ? 1 : 0, userId).changes > 0;
    },

    /** A deactivated account made usable again (admin API), with a new password or none. */
    reactivateUser(userId: string, passwordHash: string | null): boolean {
      return db.query(REACTIVATE_USER).run(passwordHash, userId).changes > 0;
    },

    /** The earliest active admin, whom the admin room invites. */
    firstAdmin(): string | null {
      return db.query<{ user_id: string }, []>(SELECT_FIRST_ADMIN).get()?.user_id ?? null;
    },

    countActiveUsers(): number {
      return db.query<{ n: number }, []>(COUNT_LOCAL_USERS).get()!.n;
    },

    /** One page of the admin API's user list, and how many users match in all. */
    listUsers(q: UserListQuery): { rows: UserRow[]; total: number } {
      const { where, params } = userListWhere(q);
      const column = USER_ORDER_COLUMNS[q.orderBy];
      const dir = q.backwards ? "DESC" : "ASC";
      const rows = db
        .query<UserRow, (string | number)[]>(`SELECT * FROM users ${where} ORDER BY ${column} ${dir}, user_id ${dir} LIMIT ? OFFSET ?`)
        .all(...params, q.limit, q.offset);
      const total = db.query<{ n: number }, (string | number)[]>(`SELECT count(*) AS n FROM users ${where}`).get(...params)!.n;
      return { rows, total };
    },

    setPasswordHash(userId: string, hash: string): void {
      db.query(UPDATE_PASSWORD).run(hash, userId);
      tokensChanged(userId);
    },

    /** Makes a guest a full user with this password; false when it is not a guest (any more). */
    upgradeGuest(userId: string, passwordHash: string): boolean {
      tokensChanged(userId);
      return db.query(UPGRADE_GUEST).run(passwordHash, userId).changes > 0;
    },

    /** Marks the account deactivated and wipes its password and profile. */
    deactivateUser(userId: string): void {
      db.query(DEACTIVATE_USER).run(userId);
      db.query(DELETE_PROFILE_FIELDS).run(userId);
      tokensChanged(userId);
    },

    setDisplayname(userId: string, displayname: string | null): void {
      db.query(UPDATE_DISPLAYNAME).run(displayname, userId);
    },

    setAvatarUrl(userId: string, avatarUrl: string | null): void {
      db.query(UPDATE_AVATAR_URL).run(avatarUrl, userId);
    },

    getProfileFields(userId: string): ProfileFieldRow[] {
      return db.query<ProfileFieldRow, [string]>(SELECT_PROFILE_FIELDS).all(userId);
    },

    getProfileField(userId: string, key: string): string | null {
      return db.query<{ value: string }, [string, string]>(SELECT_PROFILE_FIELD).get(userId, key)?.value ?? null;
    },

    setProfileField(userId: string, key: string, valueJson: string): void {
      db.query(UPSERT_PROFILE_FIELD).run(userId, key, valueJson);
    },

    deleteProfileField(userId: string, key: string): void {
      db.query(DELETE_PROFILE_FIELD).run(userId, key);
    },

    getDevices(userId: string): DeviceRow[] {
      return db.query<DeviceRow, [string]>(SELECT_DEVICES).all(userId);
    },

    getDevice(userId: string, deviceId: string): DeviceRow | null {
      return db.query<DeviceRow, [string, string]>(SELECT_DEVICE).get(userId, deviceId);
    },

    /** Creates the device unless it exists (an existing device keeps its display name); true when created. */
    ensureDevice(userId: string, deviceId: string, displayName: string | null, createdTs: number): boolean {
      return db.query(INSERT_DEVICE).run(userId, deviceId, displayName, createdTs).changes > 0;
    },

    /** Returns whether the device exists. */
    setDeviceDisplayName(userId: string, deviceId: string, displayName: string | null): boolean {
      return db.query(UPDATE_DEVICE_NAME).run(displayName, userId, deviceId).changes > 0;
    },

    setDeviceLastSeen(userId: string, deviceId: string, ts: number, ip: string | null): void {
      db.query(UPDATE_DEVICE_SEEN).run(ts, ip, userId, deviceId);
    },

    /** Deletes a device and, by cascade, its access tokens and keys; returns whether it existed. */
    deleteDevice(userId: string, deviceId: string): boolean {
      tokensChanged(userId);
      return db.query(DELETE_DEVICE).run(userId, deviceId).changes > 0;
    },

    /** Returns the ids of the devices deleted. */
    deleteAllDevices(userId: string): string[] {
      tokensChanged(userId);
      return db.query<{ device_id: string }, [string]>(DELETE_ALL_DEVICES).all(userId).map((r) => r.device_id);
    },

    /** Returns the ids of the devices deleted. */
    deleteDevicesExcept(userId: string, keepDeviceId: string): string[] {
      tokensChanged(userId);
      return db.query<{ device_id: string }, [string, string]>(DELETE_OTHER_DEVICES).all(userId, keepDeviceId).map((r) => r.device_id);
    },

    getTokenOwner(tokenHash: string): TokenOwner | null {
      return db.query<TokenOwner, [string]>(SELECT_TOKEN_OWNER).get(tokenHash);
    },

    insertToken(tokenHash: string, userId: string, deviceId: string, createdTs: number): void {
      db.query(INSERT_TOKEN).run(tokenHash, userId, deviceId, createdTs);
    },

    deleteDeviceTokens(userId: string, deviceId: string): void {
      db.query(DELETE_DEVICE_TOKENS).run(userId, deviceId);
      tokensChanged(userId);
    },
  };
}
export type AccountsRepo = ReturnType<typeof createAccountsRepo>;
