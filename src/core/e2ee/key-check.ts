/**
 * The result type of every E2EE shape check, and the small readers they share. A refused key names
 * the request field it came from (`device_keys.keys["ed25519:DEV"]`), so a client learns exactly
 * what to fix; the server stores nothing from a request with a problem.
 */

import { decodeBase64 } from "../encoding/base64.ts";
import { verifyJsonSignature } from "../signing/json-signatures.ts";
import { isJsonObject, type JsonObject } from "../types.ts";

export type KeyErrcode = "M_BAD_JSON" | "M_INVALID_PARAM" | "M_INVALID_SIGNATURE";

export interface KeyProblem {
  errcode: KeyErrcode;
  /** Where in the request body the problem is, as a path (`one_time_keys["signed_curve25519:A"]`). */
  field: string;
  message: string;
}

export type KeyCheck<T> = { ok: true; value: T } | { ok: false; problem: KeyProblem };

export const accept = <T>(value: T): KeyCheck<T> => ({ ok: true, value });

export function refuse<T = never>(errcode: KeyErrcode, field: string, message: string): KeyCheck<T> {
  return { ok: false, problem: { errcode, field, message: field === "" ? message : `${field}: ${message}` } };
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `parent.name`, or `parent["name"]` for names that are not plain identifiers. */
export function fieldOf(parent: string, name: string): string {
  const part = PLAIN_NAME.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
  return parent === "" ? (part.startsWith(".") ? part.slice(1) : part) : parent + part;
}

/** Identifiers and key ids in keys are short; longer ones are refused rather than stored. */
export const MAX_KEY_NAME_LENGTH = 255;

export const ED25519 = "ed25519";
export const CURVE25519 = "curve25519";

/** True for unpadded (or padded) standard Base64 of exactly `bytes` bytes. */
export function isBase64Key(value: unknown, bytes = 32): value is string {
  if (typeof value !== "string") return false;
  try {
    return decodeBase64(value).length === bytes;
  } catch {
    return false;
  }
}

/**
 * `algorithm:name` split at the first colon; null unless both parts are non-empty and short. Key
 * names may hold further colons (cross-signing keys use the public key, which has none, but OTK
 * ids are the client's choice).
 */
export function splitKeyName(name: string): { algorithm: string; id: string } | null {
  if (name.length > MAX_KEY_NAME_LENGTH) return null;
  const colon = name.indexOf(":");
  if (colon <= 0 || colon === name.length - 1) return null;
  return { algorithm: name.slice(0, colon), id: name.slice(colon + 1) };
}

/**
 * Checks the shape of a `signatures` object (`{user: {key id: signature}}`, all strings); the
 * signatures themselves are verified by the caller, which knows which ones matter.
 */
export function checkSignaturesShape(value: unknown, field: string): KeyCheck<Record<string, Record<string, string>>> {
  if (!isJsonObject(value)) return refuse("M_BAD_JSON", field, "must be an object");
  for (const [userId, byKey] of Object.entries(value)) {
    const userField = fieldOf(field, userId);
    if (!isJsonObject(byKey)) return refuse("M_BAD_JSON", userField, "must be an object");
    for (const [keyId, signature] of Object.entries(byKey)) {
      if (typeof signature !== "string") return refuse("M_BAD_JSON", fieldOf(userField, keyId), "must be a string");
    }
  }
  return accept(value as Record<string, Record<string, string>>);
}

/**
 * Whether `signatures[signer][keyId]` on `object` is a valid signature by the Ed25519 public key
 * `publicKey` (unpadded Base64) over the object's canonical JSON; never throws.
 */
export function isSignedBy(object: JsonObject, signer: string, keyId: string, publicKey: string): boolean {
  let key: Uint8Array;
  try {
    key = decodeBase64(publicKey);
  } catch {
    return false;
  }
  return verifyJsonSignature(object, signer, keyId, key);
}

/** Reads `object[name]` only when it is an own property (never from the prototype chain). */
export function own(object: JsonObject, name: string): JsonObject[string] | undefined {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}
