/**
 * One-time and fallback keys (spec "One-time and fallback keys"): maps from `<algorithm>:<key id>`
 * to a key, either a bare string (`curve25519`) or a key object (`signed_curve25519`: `key`,
 * `signatures`, and `fallback: true` for fallback keys). A key object must be signed by the
 * device it belongs to, when that device's Ed25519 key is known and usable: a claimer would refuse
 * it anyway.
 */

import { isJsonObject, type JsonValue } from "../types.ts";
import { ED25519, accept, checkSignaturesShape, fieldOf, isBase64Key, isSignedBy, own, refuse, splitKeyName, type KeyCheck } from "./key-check.ts";

export interface UploadedKey {
  algorithm: string;
  keyId: string;
  /** The value as uploaded: a string, or a key object. */
  key: JsonValue;
}

/** The device whose keys these are, with its Ed25519 key when known (to verify key objects). */
export interface KeySigner {
  userId: string;
  deviceId: string;
  ed25519: string | undefined;
}

/**
 * Checks a `one_time_keys` or `fallback_keys` map. Fallback keys allow one key per algorithm
 * (the server keeps only one).
 */
export function checkOneTimeKeys(value: unknown, field: "one_time_keys" | "fallback_keys", signer: KeySigner): KeyCheck<UploadedKey[]> {
  if (!isJsonObject(value)) return refuse("M_BAD_JSON", field, "must be an object");
  const keys: UploadedKey[] = [];
  const algorithms = new Set<string>();
  for (const [name, key] of Object.entries(value)) {
    const keyField = fieldOf(field, name);
    const parts = splitKeyName(name);
    if (!parts) return refuse("M_BAD_JSON", keyField, "is not named <algorithm>:<key id>");
    if (field === "fallback_keys") {
      if (algorithms.has(parts.algorithm)) return refuse("M_INVALID_PARAM", keyField, `only one fallback key per algorithm (${parts.algorithm})`);
      algorithms.add(parts.algorithm);
    }
    const checked = checkKey(key, keyField, parts.algorithm, signer);
    if (!checked.ok) return checked;
    keys.push({ algorithm: parts.algorithm, keyId: parts.id, key });
  }
  return accept(keys);
}

function checkKey(key: JsonValue, field: string, algorithm: string, signer: KeySigner): KeyCheck<true> {
  if (typeof key === "string") {
    if (key === "") return refuse("M_BAD_JSON", field, "must not be empty");
    // Algorithms named signed_* exist to carry a signature: a bare string has none.
    if (algorithm.startsWith("signed_")) return refuse("M_BAD_JSON", field, `a ${algorithm} key must be a signed key object`);
    return accept(true);
  }
  if (!isJsonObject(key)) return refuse("M_BAD_JSON", field, "must be a string or a key object");
  const value = own(key, "key");
  if (typeof value !== "string" || value === "") return refuse("M_BAD_JSON", fieldOf(field, "key"), "must be a non-empty string");
  const fallback = own(key, "fallback");
  if (fallback !== undefined && typeof fallback !== "boolean") return refuse("M_BAD_JSON", fieldOf(field, "fallback"), "must be a boolean");
  const signaturesField = fieldOf(field, "signatures");
  const signatures = checkSignaturesShape(own(key, "signatures"), signaturesField);
  if (!signatures.ok) return signatures;
  const keyId = `${ED25519}:${signer.deviceId}`;
  if (isBase64Key(signer.ed25519) && !isSignedBy(key, signer.userId, keyId, signer.ed25519)) {
    return refuse("M_INVALID_SIGNATURE", fieldOf(fieldOf(signaturesField, signer.userId), keyId), "must be a valid signature by the device's Ed25519 key");
  }
  return accept(true);
}
