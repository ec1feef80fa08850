/**
 * Hashing and signing events (server-server spec, "Signing events"): the content hash goes into
 * `hashes.sha256`, then the server signs the *redacted* event, so signatures survive redaction
 * while the content hash tells whether the full content is still the original.
 */

import type { RoomVersionRules } from "../room-versions.ts";
import { isJsonObject, type Pdu, type PduTemplate } from "../types.ts";
import { signEd25519 } from "../crypto/ed25519.ts";
import { decodeBase64, encodeBase64 } from "../encoding/base64.ts";
import { signedBytesOf, verifyJsonSignature, withSignature } from "../signing/json-signatures.ts";
import { contentHash, eventIdFor } from "./event-hashes.ts";
import { redact } from "./redaction.ts";

export interface SignedEvent {
  /** The event as it travels: hashes and signatures set, `unsigned` kept. */
  pdu: Pdu;
  /** Its id (carried in the event for rooms 1-2, derived from the reference hash since). */
  eventId: string;
}

/** Sets the content hash, signs, and computes the id: the last step of building our own event. */
export function hashAndSignEvent(
  pdu: PduTemplate,
  rules: RoomVersionRules,
  serverName: string,
  keyId: string,
  seed: Uint8Array,
): SignedEvent {
  // The v12 create event is the one PDU without a room_id (see `Pdu.room_id`).
  const hashed = { ...pdu, hashes: { sha256: contentHash(pdu) }, signatures: pdu.signatures ?? {} } as Pdu;
  const signed = signEvent(hashed, rules, serverName, keyId, seed);
  return { pdu: signed, eventId: eventIdFor(signed, rules) };
}

/**
 * Adds our signature to an event as it is (hashes untouched): how a resident server co-signs a
 * join, or an invited server signs an invite.
 */
export function signEvent(pdu: Pdu, rules: RoomVersionRules, serverName: string, keyId: string, seed: Uint8Array): Pdu {
  const signature = encodeBase64(signEd25519(signedBytesOf(redact(pdu, rules)), seed));
  return { ...pdu, signatures: withSignature(pdu.signatures, serverName, keyId, signature) };
}

/** True when `serverName` signed the redacted event with this key; never throws. */
export function verifyEventSignature(
  pdu: Pdu,
  rules: RoomVersionRules,
  serverName: string,
  keyId: string,
  publicKey: Uint8Array,
): boolean {
  if (!isJsonObject(pdu)) return false;
  return verifyJsonSignature(redact(pdu, rules), serverName, keyId, publicKey);
}

/** True when `hashes.sha256` matches the event's content hash; never throws. */
export function checkContentHash(pdu: Pdu): boolean {
  if (!isJsonObject(pdu) || !isJsonObject(pdu.hashes) || typeof pdu.hashes.sha256 !== "string") return false;
  try {
    // Compare bytes, not spellings: a padded hash from a lenient peer is still the same hash.
    return encodeBase64(decodeBase64(pdu.hashes.sha256)) === contentHash(pdu);
  } catch {
    return false; // not Base64, or content that canonical JSON cannot carry
  }
}
