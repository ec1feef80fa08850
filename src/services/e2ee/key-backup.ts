/**
 * Server-side key backups (spec "Server-side key backups", `/room_keys/version` and
 * `/room_keys/keys`): versions of encrypted session-key backups per user, and their keys at
 * three levels (all, one room, one session). Keys are only written to the newest version (others
 * get M_WRONG_ROOM_KEYS_VERSION naming it); an upload replaces a stored key only when the spec's
 * rule says it is better.
 */
import {
  checkBackupKey,
  checkBackupRoomId,
  checkBackupRooms,
  checkBackupVersion,
  checkRoomBackup,
  checkSessionId,
  replacesBackupKey,
  type BackupKeyUpload,
  type JsonObject,
} from "../../core";
import type { Storage } from "../../storage";
import type { BackupKeyRow, BackupScope, BackupVersionRow } from "../../storage/key-backup";

export type { BackupScope };
import { MatrixError, invalidParam, notFound } from "../matrix-error";
import { checked } from "./device-keys";

export interface BackupVersionInfo {
  algorithm: string;
  auth_data: JsonObject;
  count: number;
  etag: string;
  version: string;
}

export interface BackupWriteResult {
  count: number;
  etag: string;
}

/** What a keys upload targets: everything (`/room_keys/keys`), one room, or one session. */
export type BackupTarget = { body: unknown } & BackupScope;

const unknownVersion = () => notFound("Unknown backup version");

/** Versions are decimal numbers here; anything else names no backup of ours. */
function versionNumber(version: string): number | undefined {
  return /^[1-9][0-9]{0,14}$/.test(version) ? Number(version) : undefined;
}

function info(row: BackupVersionRow): BackupVersionInfo {
  return {
    algorithm: row.algorithm,
    auth_data: JSON.parse(row.auth_data) as JsonObject,
    count: row.key_count,
    etag: String(row.etag),
    version: String(row.version),
  };
}

function keyData(row: BackupKeyRow): JsonObject {
  return {
    first_message_index: row.first_message_index,
    forwarded_count: row.forwarded_count,
    is_verified: row.is_verified === 1,
    session_data: JSON.parse(row.session_data) as JsonObject,
  };
}

export function createKeyBackup({ storage }: { storage: Storage }) {
  const backup = storage.keyBackup;

  function existing(userId: string, version: string): BackupVersionRow {
    const n = versionNumber(version);
    const row = n === undefined ? null : backup.getVersion(userId, n);
    if (!row) throw unknownVersion();
    return row;
  }

  function written(userId: string, version: number): BackupWriteResult {
    const row = backup.getVersion(userId, version)!;
    return { count: row.key_count, etag: String(row.etag) };
  }

  /** The uploads a request body carries, checked as the path's level requires. */
  function uploadsOf(target: BackupTarget): BackupKeyUpload[] {
    if (target.roomId === undefined) return checked(checkBackupRooms(target.body));
    checked(checkBackupRoomId(target.roomId, "roomId"));
    if (target.sessionId === undefined) return checked(checkRoomBackup(target.body, "", target.roomId));
    checked(checkSessionId(target.sessionId, "sessionId"));
    return [{ roomId: target.roomId, sessionId: target.sessionId, key: checked(checkBackupKey(target.body, "")) }];
  }

  return {
    createVersion(userId: string, body: unknown): { version: string } {
      const { algorithm, auth_data } = checked(checkBackupVersion(body));
      return { version: String(backup.createVersion(userId, algorithm, JSON.stringify(auth_data))) };
    },

    /** The given version, or the newest one when `version` is undefined. */
    getVersion(userId: string, version?: string): BackupVersionInfo {
      if (version !== undefined) return info(existing(userId, version));
      const current = backup.currentVersion(userId);
      if (!current) throw notFound("No current backup version");
      return info(current);
    },

    /** Only `auth_data` changes; the algorithm must stay and a body `version` must be the path's. */
    updateVersion(userId: string, version: string, body: unknown): Record<string, never> {
      const { algorithm, auth_data } = checked(checkBackupVersion(body));
      const row = existing(userId, version);
      const given = (body as JsonObject).version;
      if (given !== undefined && given !== version) throw invalidParam("version: must be the version of the path");
      if (algorithm !== row.algorithm) throw invalidParam("algorithm: does not match the backup's algorithm");
      backup.updateAuthData(userId, row.version, JSON.stringify(auth_data));
      return {};
    },

    deleteVersion(userId: string, version: string): Record<string, never> {
      const n = versionNumber(version);
      if (n === undefined || !backup.deleteVersion(userId, n)) throw unknownVersion();
      return {};
    },

    /** `PUT /room_keys/keys[/{roomId}[/{sessionId}]]?version=`. */
    putKeys(userId: string, version: string, target: BackupTarget): BackupWriteResult {
      const uploads = uploadsOf(target);
      return storage.transaction(() => {
        const current = backup.currentVersion(userId);
        if (!current) throw unknownVersion();
        if (String(current.version) !== version) {
          throw new MatrixError(403, "M_WRONG_ROOM_KEYS_VERSION", "Keys can only be written to the current backup version", {
            current_version: String(current.version),
          });
        }
        const rows: BackupKeyRow[] = [];
        let added = 0;
        for (const { roomId, sessionId, key } of uploads) {
          const stored = backup.getKey(userId, current.version, roomId, sessionId);
          if (stored && !replacesBackupKey({ ...stored, is_verified: stored.is_verified === 1 }, key)) continue;
          if (!stored) added++;
          rows.push({
            room_id: roomId,
            session_id: sessionId,
            first_message_index: key.first_message_index,
            forwarded_count: key.forwarded_count,
            is_verified: key.is_verified ? 1 : 0,
            session_data: JSON.stringify(key.session_data),
          });
        }
        backup.putKeys(userId, current.version, rows, added);
        return written(userId, current.version);
      });
    },

    /** All keys (`{rooms}`), a room's (`{sessions}`), or one session's key (404 if none). */
    getKeys(userId: string, version: string, scope: BackupScope): JsonObject {
      const row = existing(userId, version);
      const keys = backup.keys(userId, row.version, scope);
      if (scope.sessionId !== undefined) {
        if (keys.length === 0) throw notFound("No key backed up for this session");
        return keyData(keys[0]!);
      }
      const rooms: Record<string, { sessions: JsonObject }> = {};
      for (const k of keys) (rooms[k.room_id] ??= { sessions: {} }).sessions[k.session_id] = keyData(k);
      if (scope.roomId !== undefined) return rooms[scope.roomId] ?? { sessions: {} };
      return { rooms };
    },

    deleteKeys(userId: string, version: string, scope: BackupScope): BackupWriteResult {
      const row = existing(userId, version);
      backup.deleteKeys(userId, row.version, scope);
      return written(userId, row.version);
    },
  };
}
export type KeyBackup = ReturnType<typeof createKeyBackup>;
