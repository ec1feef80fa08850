/**
 * The checks every PDU from another server passes before anything else looks at it, whatever
 * the ingress (/send, backfill, missing events, state, send_join answers, invites): the room
 * version's format, the signatures of every server that must have signed it (the sender's; the
 * event id's domain in rooms 1-2; the authorising server of a restricted join), with keys valid
 * at `origin_server_ts` since room version 5, and the content hash — a mismatch redacts the event
 * rather than refusing it. Auth rules come after, in the room pipeline.
 *
 * Pure, given the keys: the federation checker looks the keys up first, then runs these on the
 * main thread or in the check workers.
 */
import type { RoomVersionRules } from "../room-versions.ts";
import { isJsonObject, type JsonObject, type Pdu } from "../types.ts";
import { usableAt, type KnownKey } from "../signing/key-validity.ts";
import { eventIdFor } from "./event-hashes.ts";
import { checkContentHash, verifyEventSignature } from "./event-signing.ts";
import { MAX_PDU_BYTES, validatePdu } from "./pdu-format.ts";
import { redact } from "./redaction.ts";
import { errorMessage } from "../error-message.ts";

export type CheckedPdu = Pdu & { event_id: string };

export type PduVerdict =
  | { ok: true; pdu: CheckedPdu; redacted: boolean }
  /** `badSignature`: well-formed, but a server's signature is missing or wrong (a matter of permission, not syntax). */
  | { ok: false; eventId?: string; reason: string; badSignature?: boolean };

/** Keys by `server \0 key id`. */
export type KeyTable = ReadonlyMap<string, KnownKey>;

/** Checks many PDUs with the keys at hand, elsewhere (the check workers). */
export interface PduCheckRunner {
  check(raws: readonly unknown[], rules: RoomVersionRules, keys: KeyTable): Promise<PduVerdict[]>;
}

const serverOf = (id: string) => id.slice(id.indexOf(":") + 1);
/** The key table's name for a server's key. */
export const keyName = (server: string, keyId: string) => `${server}\u0000${keyId}`;

/** The servers whose signatures an event needs (spec "Validating hashes and signatures"). */
export function requiredSigners(pdu: Pdu, eventId: string, rules: RoomVersionRules): string[] {
  const servers = new Set([serverOf(pdu.sender)]);
  // Rooms 1-2: the server that minted the event id vouches for it too.
  if (rules.eventIdServerSigns) servers.add(serverOf(eventId));
  // since v8: a restricted join is signed by the server of the user who authorised it.
  const via = isJsonObject(pdu.content) ? pdu.content.join_authorised_via_users_server : undefined;
  if (rules.restrictedJoins && pdu.type === "m.room.member" && pdu.content.membership === "join" && typeof via === "string") {
    servers.add(serverOf(via));
  }
  return [...servers];
}

/** The room of a checked event (since v12 the create event names none: its id does). */
export function roomIdOf(pdu: CheckedPdu): string {
  return typeof pdu.room_id === "string" ? pdu.room_id : `!${pdu.event_id.slice(1)}`;
}

/** Whether a checked event belongs to `roomId` (since v12 the create event names no room: its id does). */
export function belongsTo(pdu: CheckedPdu, roomId: string, rules: RoomVersionRules): boolean {
  if (pdu.room_id === roomId) return true;
  return rules.roomIdIsCreateEventHash && pdu.type === "m.room.create" && `!${pdu.event_id.slice(1)}` === roomId;
}

/** `unsigned` is the sender's business: it is neither hashed, signed nor kept. */
function withoutUnsigned(raw: JsonObject): JsonObject {
  const { unsigned: _unsigned, ...rest } = raw;
  return rest;
}

/**
 * The event as its sender signed it. Since room version 3 the id is derived, never part of the
 * event, but a checked event carries it locally: verifying (or countersigning) with it attached
 * would cover bytes no other server signs.
 */
export function asSigned(pdu: Pdu, rules: RoomVersionRules): Pdu {
  if (rules.eventIdInEvent || pdu.event_id === undefined) return pdu;
  const { event_id: _derived, ...signed } = pdu;
  return signed as Pdu;
}

/** True when `server` signed the event with a key it held at the time (v5+) or ever (v1-4). */
export function signedWith(checked: Pdu, server: string, rules: RoomVersionRules, keys: KeyTable): boolean {
  const pdu = asSigned(checked, rules);
  const byServer = isJsonObject(pdu.signatures) ? pdu.signatures[server] : undefined;
  if (!isJsonObject(byServer)) return false;
  const validAt = rules.enforceKeyValidity ? pdu.origin_server_ts : undefined;
  for (const keyId of Object.keys(byServer)) {
    const known = keyId.startsWith("ed25519:") ? keys.get(keyName(server, keyId)) : undefined;
    if (known && usableAt(known, validAt) && verifyEventSignature(pdu, rules, server, keyId, known.key)) return true;
  }
  return false;
}

/** Every check but the auth rules, with the signing keys already looked up. */
export function checkPdu(raw: unknown, rules: RoomVersionRules, keys: KeyTable): PduVerdict {
  const claimed = isJsonObject(raw) && typeof raw.event_id === "string" ? raw.event_id : undefined;
  const received = isJsonObject(raw) ? withoutUnsigned(raw) : raw;
  let format = validatePdu(received, rules);
  let keepRedacted = false;
  if (!format.valid && format.nonCanonical && isJsonObject(received)) {
    // A float or an out-of-range integer (the body was parsed leniently). Only what redaction keeps
    // is hashed into the id and signed: when that part is canonical the event can be named and its
    // signatures checked. Room versions 6+ reject it; 1-5 keep it redacted, as for a bad content hash.
    const kept = validatePdu(redact(received as Pdu, rules), rules);
    if (!kept.valid || JSON.stringify(received).length > MAX_PDU_BYTES) return { ok: false, eventId: claimed, reason: format.reason };
    if (rules.strictCanonicalJson) {
      return { ok: false, eventId: eventIdFor(kept.pdu, rules), reason: `${format.reason} (room version ${rules.id} allows only canonical JSON)` };
    }
    format = kept;
    keepRedacted = true;
  }
  if (!format.valid) return { ok: false, eventId: claimed, reason: format.reason };
  const pdu = format.pdu;
  let eventId: string;
  try {
    eventId = eventIdFor(pdu, rules);
  } catch (e) {
    return { ok: false, reason: errorMessage(e) };
  }
  for (const server of requiredSigners(pdu, eventId, rules)) {
    if (!signedWith(pdu, server, rules, keys)) return { ok: false, eventId, reason: `not validly signed by ${server}`, badSignature: true };
  }
  // A wrong content hash means the content was altered: keep only what the signatures cover.
  if (keepRedacted || !checkContentHash(pdu)) {
    return { ok: true, pdu: Object.assign(redact(pdu, rules), { event_id: eventId }), redacted: true };
  }
  return { ok: true, pdu: Object.assign({ ...pdu }, { event_id: eventId }), redacted: false };
}
