/**
 * The two hashes of an event (server-server spec, "Calculating the content hash" and "Calculating
 * the reference hash") and the identifiers derived from them. Both hash every top-level key
 * present, so a PDU must travel exactly as its origin built it: never attach `event_id` to an
 * event of a room version whose ids are derived.
 */

import type { RoomVersionRules } from "../room-versions.ts";
import type { Pdu, PduTemplate, Without } from "../types.ts";
import { canonicalJson } from "../json/canonical-json.ts";
import { sha256 } from "../crypto/sha256.ts";
import { encodeBase64, encodeBase64Url } from "../encoding/base64.ts";
import { redact } from "./redaction.ts";

/** Unpadded standard Base64 of SHA-256 over the event without `unsigned`, `signatures`, `hashes`. */
export function contentHash(pdu: PduTemplate): string {
  const { unsigned: _unsigned, signatures: _signatures, hashes: _hashes, ...covered } = pdu;
  return encodeBase64(sha256(canonicalJson(covered)));
}

function referenceHashBytes(pdu: Pdu, rules: RoomVersionRules): Uint8Array {
  const { signatures: _signatures, unsigned: _unsigned, ...covered } = redact(pdu, rules);
  return sha256(canonicalJson(covered));
}

/**
 * SHA-256 of the redacted event without `signatures` and `unsigned`, in the alphabet the room
 * version uses for it: standard Base64 up to event format v2 (rooms 1-3), url-safe since v3
 * (rooms 4+).
 */
export function referenceHash(pdu: Pdu, rules: RoomVersionRules): string {
  const bytes = referenceHashBytes(pdu, rules);
  return rules.urlSafeEventIds ? encodeBase64Url(bytes) : encodeBase64(bytes);
}

/**
 * The event id: carried in the event for format v1 (rooms 1-2), else `$` + the reference hash
 * (format v2: standard Base64, room 3; format v3: url-safe, rooms 4+).
 */
export function eventIdFor(pdu: Pdu, rules: RoomVersionRules): string {
  if (rules.eventIdInEvent) {
    if (typeof pdu.event_id !== "string") throw new TypeError("a room version 1-2 event carries its event_id");
    return pdu.event_id;
  }
  return "$" + referenceHash(pdu, rules);
}

/**
 * since v12: a room's id is its create event's id with the `!` sigil, i.e. `!` + the url-safe
 * reference hash of the create event (which itself has no `room_id`).
 */
export function roomIdFor(createPdu: Without<Pdu, "room_id">, rules: RoomVersionRules): string {
  if (!rules.roomIdIsCreateEventHash) throw new RangeError(`room version ${rules.id} does not derive room ids`);
  return "!" + encodeBase64Url(referenceHashBytes(createPdu as Pdu, rules));
}
