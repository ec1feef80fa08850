/**
 * Server-side key backups: versions per user (numbered upwards, never reused) and the encrypted
 * session keys stored in each. A version keeps a count of its keys and an etag that changes with
 * every write to them, so both are answered without scanning the keys.
 */
import type { Database } from "bun:sqlite";

export interface BackupVersionRow {
  version: number;
  algorithm: string;
  auth_data: string;
  etag: number;
  key_count: number;
}

export interface BackupKeyRow {
  room_id: string;
  session_id: string;
  first_message_index: number;
  forwarded_count: number;
  is_verified: number;
  session_data: string;
}

/** Which keys of a version a read or delete covers: all, a room's, or one session's. */
export interface BackupScope {
  roomId?: string;
  sessionId?: string;
}

const NEXT_VERSION = "SELECT coalesce(MAX(version), 0) + 1 AS v FROM key_backup_versions WHERE user_id = ?";
const INSERT_VERSION = "INSERT INTO key_backup_versions (user_id, version, algorithm, auth_data) VALUES (?, ?, ?, ?)";
const VERSION_COLUMNS = "version, algorithm, auth_data, etag, key_count";
const SELECT_CURRENT = `SELECT ${VERSION_COLUMNS} FROM key_backup_versions WHERE user_id = ? AND deleted = 0 ORDER BY version DESC LIMIT 1`;
const SELECT_VERSION = `SELECT ${VERSION_COLUMNS} FROM key_backup_versions WHERE user_id = ? AND version = ? AND deleted = 0`;
const UPDATE_AUTH_DATA = "UPDATE key_backup_versions SET auth_data = ? WHERE user_id = ? AND version = ? AND deleted = 0";
const MARK_DELETED = "UPDATE key_backup_versions SET deleted = 1, key_count = 0 WHERE user_id = ? AND version = ? AND deleted = 0";
const BUMP = "UPDATE key_backup_versions SET etag = etag + 1, key_count = key_count + ? WHERE user_id = ? AND version = ?";

const KEY_COLUMNS = "room_id, session_id, first_message_index, forwarded_count, is_verified, session_data";
const SELECT_KEY = `SELECT ${KEY_COLUMNS} FROM key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?`;
const SELECT_ALL = `SELECT ${KEY_COLUMNS} FROM key_backup_keys WHERE user_id = ? AND version = ?`;
const SELECT_ROOM = `SELECT ${KEY_COLUMNS} FROM key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ?`;
const UPSERT_KEY = `
  INSERT INTO key_backup_keys (user_id, version, room_id, session_id, first_message_index, forwarded_count, is_verified, session_data)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (user_id, version, room_id, session_id) DO UPDATE SET first_message_index = excluded.first_message_index,
    forwarded_count = excluded.forwarded_count, is_verified = excluded.is_verified, session_data = excluded.session_data`;
const DELETE_ALL = "DELETE FROM key_backup_keys WHERE user_id = ? AND version = ?";
const DELETE_ROOM = "DELETE FROM key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ?";
const DELETE_KEY = "DELETE FROM key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?";

export function createKeyBackupRepo(db: Database) {
  const deleteKeys = (userId: string, version: number, scope: BackupScope): number => {
    if (scope.roomId === undefined) return db.query(DELETE_ALL).run(userId, version).changes;
    if (scope.sessionId === undefined) return db.query(DELETE_ROOM).run(userId, version, scope.roomId).changes;
    return db.query(DELETE_KEY).run(userId, version, scope.roomId, scope.sessionId).changes;
  };

  return {
    /** Creates the user's next version and returns its number. */
    createVersion(userId: string, algorithm: string, authData: string): number {
      return db.transaction(() => {
        const version = db.query<{ v: number }, [string]>(NEXT_VERSION).get(userId)!.v;
        db.query(INSERT_VERSION).run(userId, version, algorithm, authData);
        return version;
      }).immediate();
    },
    /** The newest version that is not deleted: the only one keys can be written to. */
    currentVersion(userId: string): BackupVersionRow | null {
      return db.query<BackupVersionRow, [string]>(SELECT_CURRENT).get(userId);
    },
    getVersion(userId: string, version: number): BackupVersionRow | null {
      return db.query<BackupVersionRow, [string, number]>(SELECT_VERSION).get(userId, version);
    },
    /** Returns whether the version exists. */
    updateAuthData(userId: string, version: number, authData: string): boolean {
      return db.query(UPDATE_AUTH_DATA).run(authData, userId, version).changes > 0;
    },
    /** Deletes the version and its keys; returns whether it existed. */
    deleteVersion(userId: string, version: number): boolean {
      return db.transaction(() => {
        if (db.query(MARK_DELETED).run(userId, version).changes === 0) return false;
        deleteKeys(userId, version, {});
        return true;
      })();
    },

    getKey(userId: string, version: number, roomId: string, sessionId: string): BackupKeyRow | null {
      return db.query<BackupKeyRow, [string, number, string, string]>(SELECT_KEY).get(userId, version, roomId, sessionId);
    },
    /** The keys of a version, of one room, or of one session. */
    keys(userId: string, version: number, scope: BackupScope = {}): BackupKeyRow[] {
      if (scope.roomId === undefined) return db.query<BackupKeyRow, [string, number]>(SELECT_ALL).all(userId, version);
      if (scope.sessionId === undefined) return db.query<BackupKeyRow, [string, number, string]>(SELECT_ROOM).all(userId, version, scope.roomId);
      const one = db.query<BackupKeyRow, [string, number, string, string]>(SELECT_KEY).get(userId, version, scope.roomId, scope.sessionId);
      return one ? [one] : [];
    },
    /**
     * Stores keys (the caller has applied the replacement rule) and moves the etag on; `added` is
     * how many of them are new sessions, for the count.
     */
    putKeys(userId: string, version: number, keys: readonly BackupKeyRow[], added: number): void {
      if (keys.length === 0) return;
      db.transaction(() => {
        const upsert = db.query(UPSERT_KEY);
        for (const k of keys) {
          upsert.run(userId, version, k.room_id, k.session_id, k.first_message_index, k.forwarded_count, k.is_verified, k.session_data);
        }
        db.query(BUMP).run(added, userId, version);
      })();
    },
    /** Deletes keys of a version; the etag moves on when any went. Returns how many. */
    deleteKeys(userId: string, version: number, scope: BackupScope = {}): number {
      return db.transaction(() => {
        const deleted = deleteKeys(userId, version, scope);
        if (deleted > 0) db.query(BUMP).run(-deleted, userId, version);
        return deleted;
      })();
    },
  };
}
export type KeyBackupRepo = ReturnType<typeof createKeyBackupRepo>;
