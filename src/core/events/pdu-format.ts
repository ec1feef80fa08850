/**
 * Format checks for a PDU against its room version's event format (server-server spec, PDU
 * schemas per room version, and "Size limits"): step 1 of the checks on receipt, run on every PDU
 * from any ingress before signatures, hashes or auth rules look at it. One bad PDU yields a reason,
 * never an exception, so a transaction carrying it can still succeed for the others.
 */

import type { RoomVersionRules } from "../room-versions.ts";
import { isJsonObject, type JsonObject, type Pdu } from "../types.ts";
import { canonicalJson } from "../json/canonical-json.ts";
import { JsonError } from "../json/json-error.ts";
import { isValidEventId, MAX_ID_BYTES, parseRoomId, parseUserId, utf8Length } from "../ids.ts";

export type PduCheck = { valid: true; pdu: Pdu } | { valid: false; reason: string; nonCanonical?: true };

/** Whole PDU, signatures included, as canonical JSON. */
export const MAX_PDU_BYTES = 65_536;
export const MAX_PREV_EVENTS = 20;
export const MAX_AUTH_EVENTS = 10;

/**
 * Checks `value` is a well-formed PDU for `rules`. Every value in it must be canonical JSON
 * (integers in range, no lone surrogates, nesting at most 128): the spec demands it since room
 * version 6, and earlier events that break it could not be hashed the way their origin did anyway
 * (`nonCanonical` marks that failure, which `checkPdu` judges by room version).
 */
export function validatePdu(value: unknown, rules: RoomVersionRules): PduCheck {
  if (!isJsonObject(value)) return { valid: false, reason: "a PDU must be a JSON object" };
  let size: number;
  try {
    size = utf8Length(canonicalJson(value));
  } catch (error) {
    if (error instanceof JsonError) return { valid: false, reason: `not canonical JSON: ${error.message}`, nonCanonical: true };
    throw error;
  }
  const reason = formatProblem(value, size, rules);
  return reason === null ? { valid: true, pdu: value as Pdu } : { valid: false, reason };
}

function formatProblem(value: JsonObject, size: number, rules: RoomVersionRules): string | null {
  if (size > MAX_PDU_BYTES) return `PDU is ${size} bytes, over the ${MAX_PDU_BYTES}-byte limit`;

  const { type, state_key, sender, room_id, event_id } = value;
  if (!isBoundedString(type)) return "`type` must be a string of at most 255 bytes";
  if (state_key !== undefined && !isBoundedString(state_key)) {
    return "`state_key` must be a string of at most 255 bytes";
  }
  if (typeof sender !== "string" || !parseUserId(sender)) return "`sender` must be a valid user id";

  const isCreate = type === "m.room.create" && state_key === "";
  const roomIdProblem = checkRoomId(room_id, isCreate, rules);
  if (roomIdProblem) return roomIdProblem;

  if (rules.eventIdInEvent) {
    if (typeof event_id !== "string" || !isValidEventId(event_id, rules)) {
      return "`event_id` must be a `$opaque:domain` id in room versions 1-2";
    }
  } else if (event_id !== undefined) {
    return `\`event_id\` is derived from the reference hash in room version ${rules.id}, not sent`;
  }

  if (!isJsonObject(value.content)) return "`content` must be an object";
  // Numbers are already known to be integers in ±(2^53-1): canonical JSON held.
  if (typeof value.origin_server_ts !== "number") return "`origin_server_ts` must be an integer";
  if (typeof value.depth !== "number" || value.depth < 0) return "`depth` must be a non-negative integer";
  if (!isJsonObject(value.hashes) || typeof value.hashes.sha256 !== "string") {
    return "`hashes.sha256` must be a string";
  }
  if (!isSignatures(value.signatures)) return "`signatures` must map server names to key ids to strings";
  if (value.unsigned !== undefined && !isJsonObject(value.unsigned)) return "`unsigned` must be an object";
  // Before v11 `redacts` is a top-level PDU field; since v11 it lives in content like any key.
  if (!rules.redactsInContent && value.redacts !== undefined) {
    if (typeof value.redacts !== "string" || !isValidEventId(value.redacts)) return "`redacts` must be an event id";
  }

  return (
    checkRefs(value.prev_events, "prev_events", MAX_PREV_EVENTS, rules) ??
    checkRefs(value.auth_events, "auth_events", MAX_AUTH_EVENTS, rules)
  );
}

function checkRoomId(roomId: unknown, isCreate: boolean, rules: RoomVersionRules): string | null {
  // since v12: the create event has no room id (its hash is the room id).
  if (rules.roomIdIsCreateEventHash && isCreate) {
    return roomId === undefined ? null : "an m.room.create event has no `room_id` since room version 12";
  }
  const parsed = typeof roomId === "string" ? parseRoomId(roomId) : null;
  if (!parsed) return "`room_id` must be a valid room id";
  if (parsed.hashed !== rules.roomIdIsCreateEventHash) {
    return rules.roomIdIsCreateEventHash
      ? "`room_id` must be `!` + the create event hash since room version 12"
      : "`room_id` must be `!opaque:domain` before room version 12";
  }
  return null;
}

/**
 * v1 format: `[event_id, hashes]` pairs; since v2: bare event ids of the version's shape. The
 * hashes object is informational (nothing checks it) and Synapse sends `{}` for events it created
 * in one batch, so any object is accepted there.
 */
function checkRefs(refs: unknown, field: string, max: number, rules: RoomVersionRules): string | null {
  if (!Array.isArray(refs)) return `\`${field}\` must be an array`;
  if (refs.length > max) return `\`${field}\` holds ${refs.length} events, over the limit of ${max}`;
  for (const ref of refs) {
    const ok =
      rules.hashedEventRefs
        ? Array.isArray(ref) &&
          ref.length === 2 &&
          typeof ref[0] === "string" &&
          isValidEventId(ref[0], rules) &&
          isJsonObject(ref[1])
        : typeof ref === "string" && isValidEventId(ref, rules);
    if (!ok) return `\`${field}\` holds a malformed event reference`;
  }
  return null;
}

function isBoundedString(value: unknown): value is string {
  return typeof value === "string" && utf8Length(value) <= MAX_ID_BYTES;
}

function isSignatures(value: unknown): boolean {
  if (!isJsonObject(value)) return false;
  for (const byServer of Object.values(value)) {
    if (!isJsonObject(byServer)) return false;
    for (const signature of Object.values(byServer)) if (typeof signature !== "string") return false;
  }
  return true;
}

/**
 * The PDU as it travels and as it is stored: without `unsigned`, with `event_id` only in rooms
 * 1-2, where it is part of the event.
 */
export function wireForm(pdu: Pdu, rules: RoomVersionRules): JsonObject {
  const { event_id, unsigned: _unsigned, ...wire } = pdu;
  return (rules.eventIdInEvent ? { ...wire, event_id } : wire) as JsonObject;
}
