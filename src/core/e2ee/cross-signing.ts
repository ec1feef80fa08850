/**
 * Cross-signing keys (spec "Cross-signing"): a user's master key, and the self-signing and
 * user-signing keys it signs. Each holds exactly one Ed25519 key, named by its own public key
 * (`ed25519:<public key>`); the self-signing key signs the user's devices, the user-signing key
 * signs other users' master keys.
 */

import { isJsonObject, type JsonObject } from "../types.ts";
import { ED25519, accept, checkSignaturesShape, fieldOf, isBase64Key, isSignedBy, own, refuse, type KeyCheck } from "./key-check.ts";

export type CrossSigningUsage = "master" | "self_signing" | "user_signing";

export interface CrossSigningKey {
  /** The key as uploaded, without `unsigned`. */
  json: JsonObject;
  /** Unpadded Base64 Ed25519 public key; also the key's id after `ed25519:`. */
  publicKey: string;
}

/**
 * Checks one uploaded cross-signing key of `userId` for `usage`. Keys other than the master key
 * must be signed by `masterKey` (the public key of the master key uploaded with them, or stored).
 */
export function checkCrossSigningKey(
  value: unknown,
  field: string,
  userId: string,
  usage: CrossSigningUsage,
  masterKey: string | undefined,
): KeyCheck<CrossSigningKey> {
  if (!isJsonObject(value)) return refuse("M_BAD_JSON", field, "must be an object");
  const owner = own(value, "user_id");
  if (typeof owner !== "string") return refuse("M_BAD_JSON", fieldOf(field, "user_id"), "must be a string");
  if (owner !== userId) return refuse("M_INVALID_PARAM", fieldOf(field, "user_id"), `must be ${userId}`);
  const usages = own(value, "usage");
  if (!Array.isArray(usages) || !usages.every((u) => typeof u === "string")) {
    return refuse("M_BAD_JSON", fieldOf(field, "usage"), "must be an array of strings");
  }
  if (!usages.includes(usage)) return refuse("M_INVALID_PARAM", fieldOf(field, "usage"), `must include "${usage}"`);
  const keysField = fieldOf(field, "keys");
  const publicKey = soleKeyOf(own(value, "keys"));
  if (publicKey === undefined) {
    return refuse("M_BAD_JSON", keysField, "must hold exactly one key, ed25519:<public key> naming its own 32-byte Base64 value");
  }
  const signatures = own(value, "signatures");
  const signaturesField = fieldOf(field, "signatures");
  if (signatures !== undefined) {
    const shape = checkSignaturesShape(signatures, signaturesField);
    if (!shape.ok) return shape;
  }
  if (usage !== "master") {
    if (masterKey === undefined) return refuse("M_INVALID_PARAM", field, "needs a master key to be signed by, and there is none");
    const keyId = `${ED25519}:${masterKey}`;
    if (!isSignedBy(value, userId, keyId, masterKey)) {
      return refuse("M_INVALID_SIGNATURE", fieldOf(fieldOf(signaturesField, userId), keyId), "must be a valid signature by the master key");
    }
  }
  const { unsigned: _unsigned, ...json } = value;
  return accept({ json, publicKey });
}

/** The public key of a stored (already checked) cross-signing key, or undefined if malformed. */
export function crossSigningPublicKey(key: JsonObject): string | undefined {
  return soleKeyOf(own(key, "keys"));
}

function soleKeyOf(keys: unknown): string | undefined {
  if (!isJsonObject(keys)) return undefined;
  const names = Object.keys(keys);
  if (names.length !== 1) return undefined;
  const name = names[0]!;
  const key = keys[name];
  return name === `${ED25519}:${key}` && isBase64Key(key) ? key : undefined;
}
