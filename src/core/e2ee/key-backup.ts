/**
 * Server-side key backups (spec "Server-side key backups"): the shape of backed-up session keys and
 * the rule that decides whether an upload replaces the key already held for a session. The
 * session data itself is encrypted by the client; the server only reads the metadata.
 */

import { parseRoomId } from "../ids.ts";
import { isJsonObject, type JsonObject } from "../types.ts";
import { MAX_KEY_NAME_LENGTH, accept, fieldOf, own, refuse, type KeyCheck } from "./key-check.ts";

/** What the replacement rule compares. */
export interface BackupKeyRank {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
}

export interface BackupKey extends BackupKeyRank {
  session_data: JsonObject;
}

export interface BackupKeyUpload {
  roomId: string;
  sessionId: string;
  key: BackupKey;
}

/**
 * Whether `candidate` replaces `existing` for the same session: a verified key beats an unverified
 * one; then the lower `first_message_index` (it decrypts more) wins; then the lower
 * `forwarded_count`. A key equal on all three keeps the one already stored.
 */
export function replacesBackupKey(existing: BackupKeyRank, candidate: BackupKeyRank): boolean {
  if (existing.is_verified !== candidate.is_verified) return candidate.is_verified;
  if (existing.first_message_index !== candidate.first_message_index) {
    return candidate.first_message_index < existing.first_message_index;
  }
  return candidate.forwarded_count < existing.forwarded_count;
}

/** Checks one `KeyBackupData` object. */
export function checkBackupKey(value: unknown, field: string): KeyCheck<BackupKey> {
  if (!isJsonObject(value)) return refuse("M_BAD_JSON", field, "must be an object");
  for (const name of ["first_message_index", "forwarded_count"] as const) {
    const n = own(value, name);
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
      return refuse("M_BAD_JSON", fieldOf(field, name), "must be a non-negative integer");
    }
  }
  if (typeof own(value, "is_verified") !== "boolean") return refuse("M_BAD_JSON", fieldOf(field, "is_verified"), "must be a boolean");
  if (!isJsonObject(own(value, "session_data"))) return refuse("M_BAD_JSON", fieldOf(field, "session_data"), "must be an object");
  return accept({
    first_message_index: value.first_message_index as number,
    forwarded_count: value.forwarded_count as number,
    is_verified: value.is_verified as boolean,
    session_data: value.session_data as JsonObject,
  });
}

/** Checks a `RoomKeyBackup` (`{sessions: {session id: KeyBackupData}}`) for `roomId`. */
export function checkRoomBackup(value: unknown, field: string, roomId: string): KeyCheck<BackupKeyUpload[]> {
  if (!isJsonObject(value)) return refuse("M_BAD_JSON", field, "must be an object");
  const sessionsField = fieldOf(field, "sessions");
  const sessions = own(value, "sessions");
  if (!isJsonObject(sessions)) return refuse("M_BAD_JSON", sessionsField, "must be an object");
  const out: BackupKeyUpload[] = [];
  for (const [sessionId, data] of Object.entries(sessions)) {
    const sessionField = fieldOf(sessionsField, sessionId);
    const sessionCheck = checkSessionId(sessionId, sessionField);
    if (!sessionCheck.ok) return sessionCheck;
    const key = checkBackupKey(data, sessionField);
    if (!key.ok) return key;
    out.push({ roomId, sessionId, key: key.value });
  }
  return accept(out);
}

/** Checks the body of `PUT /room_keys/keys` (`{rooms: {room id: RoomKeyBackup}}`). */
export function checkBackupRooms(value: unknown): KeyCheck<BackupKeyUpload[]> {
  if (!isJsonObject(value)) return refuse("M_BAD_JSON", "", "The body must be a JSON object");
  const rooms = own(value, "rooms");
  if (!isJsonObject(rooms)) return refuse("M_BAD_JSON", "rooms", "must be an object");
  const out: BackupKeyUpload[] = [];
  for (const [roomId, room] of Object.entries(rooms)) {
    const roomField = fieldOf("rooms", roomId);
    const roomCheck = checkBackupRoomId(roomId, roomField);
    if (!roomCheck.ok) return roomCheck;
    const keys = checkRoomBackup(room, roomField, roomId);
    if (!keys.ok) return keys;
    out.push(...keys.value);
  }
  return accept(out);
}

export function checkBackupRoomId(roomId: string, field: string): KeyCheck<true> {
  return parseRoomId(roomId) ? accept(true) : refuse("M_INVALID_PARAM", field, "is not a room id");
}

export function checkSessionId(sessionId: string, field: string): KeyCheck<true> {
  return sessionId !== "" && sessionId.length <= MAX_KEY_NAME_LENGTH ? accept(true) : refuse("M_INVALID_PARAM", field, "is not a session id");
}

export interface BackupVersionInfo {
  algorithm: string;
  auth_data: JsonObject;
}

/** Checks the body of `POST /room_keys/version` and `PUT /room_keys/version/{version}`. */
export function checkBackupVersion(value: unknown): KeyCheck<BackupVersionInfo> {
  if (!isJsonObject(value)) return refuse("M_BAD_JSON", "", "The body must be a JSON object");
  const algorithm = own(value, "algorithm");
  if (typeof algorithm !== "string" || algorithm === "" || algorithm.length > MAX_KEY_NAME_LENGTH) {
    return refuse("M_BAD_JSON", "algorithm", "must be an algorithm name");
  }
  const authData = own(value, "auth_data");
  if (!isJsonObject(authData)) return refuse("M_BAD_JSON", "auth_data", "must be an object");
  return accept({ algorithm, auth_data: authData });
}
