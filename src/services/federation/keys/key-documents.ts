/**
 * Server key documents (`/_matrix/key/v2/server`): building and signing ours, and reading another
 * server's. A remote document counts only when it names the expected server and every one of its
 * current keys has signed it, so a notary cannot slip in a key the server never held.
 */
import {
  canonicalJson,
  decodeBase64,
  ED25519_PUBLIC_KEY_BYTES,
  encodeBase64,
  isJsonObject,
  parseKeyId,
  signJson,
  verifyJsonSignature,
  type JsonObject,
  type SigningKey,
} from "../../../core";
import type { StoredKeyDocument } from "../../../storage/remote-keys";

/** How long others may cache our keys. */
export const OWN_KEYS_LIFETIME_MS = 24 * 3_600_000;
/** The spec's upper bound on trusting a remote key without asking again. */
const MAX_REMOTE_KEY_LIFETIME_MS = 7 * 24 * 3_600_000;

export interface OwnKey {
  keyId: string;
  publicKey: Uint8Array;
  expiredTs: number | null;
}

/** Our key document: current keys in `verify_keys`, retired ones with their `expired_ts`. */
export function buildOwnKeyDocument(serverName: string, keys: readonly OwnKey[], signingKey: SigningKey, now: number): JsonObject {
  const verifyKeys: JsonObject = {};
  const oldVerifyKeys: JsonObject = {};
  for (const k of keys) {
    if (k.expiredTs === null) verifyKeys[k.keyId] = { key: encodeBase64(k.publicKey) };
    else oldVerifyKeys[k.keyId] = { key: encodeBase64(k.publicKey), expired_ts: k.expiredTs };
  }
  const doc = {
    server_name: serverName,
    valid_until_ts: now + OWN_KEYS_LIFETIME_MS,
    verify_keys: verifyKeys,
    old_verify_keys: oldVerifyKeys,
  };
  return signJson(doc, serverName, signingKey.keyId, signingKey.seed);
}

/** A decoded public key, or null when the text is not 32 bytes of base64. */
export function decodePublicKey(text: unknown): Uint8Array | null {
  if (typeof text !== "string") return null;
  try {
    const bytes = decodeBase64(text);
    return bytes.length === ED25519_PUBLIC_KEY_BYTES ? bytes : null;
  } catch {
    return null;
  }
}

/**
 * Checks a key document received for `serverName` and returns what to store, or a reason it is
 * refused. `fetchedTs` bounds how long its current keys are trusted (at most 7 days).
 */
export function readRemoteKeyDocument(
  value: unknown,
  serverName: string,
  fetchedTs: number,
): { ok: true; doc: StoredKeyDocument } | { ok: false; reason: string } {
  if (!isJsonObject(value)) return { ok: false, reason: "not an object" };
  if (value.server_name !== serverName) return { ok: false, reason: "server_name does not match" };
  const validUntil = value.valid_until_ts;
  if (typeof validUntil !== "number" || !Number.isSafeInteger(validUntil)) return { ok: false, reason: "no valid_until_ts" };
  if (!isJsonObject(value.verify_keys)) return { ok: false, reason: "no verify_keys" };

  const current: { keyId: string; publicKey: string }[] = [];
  for (const [keyId, entry] of Object.entries(value.verify_keys)) {
    if (parseKeyId(keyId)?.algorithm !== "ed25519") continue; // other algorithms are not ours to check
    const key = isJsonObject(entry) ? decodePublicKey(entry.key) : null;
    if (!key) return { ok: false, reason: `verify key ${keyId} is malformed` };
    if (!verifyJsonSignature(value, serverName, keyId, key)) return { ok: false, reason: `not signed by ${keyId}` };
    current.push({ keyId, publicKey: encodeBase64(key) });
  }
  if (current.length === 0) return { ok: false, reason: "no ed25519 verify key" };

  const old: { keyId: string; publicKey: string; expiredTs: number }[] = [];
  if (isJsonObject(value.old_verify_keys)) {
    for (const [keyId, entry] of Object.entries(value.old_verify_keys)) {
      if (parseKeyId(keyId)?.algorithm !== "ed25519" || !isJsonObject(entry)) continue;
      const key = decodePublicKey(entry.key);
      const expired = entry.expired_ts;
      if (!key || typeof expired !== "number" || !Number.isSafeInteger(expired)) continue;
      old.push({ keyId, publicKey: encodeBase64(key), expiredTs: expired });
    }
  }

  // Keep only the server's own signatures: notaries' are checked separately and not re-served.
  const signatures = value.signatures as Record<string, unknown>;
  const stored = { ...value, signatures: { [serverName]: signatures[serverName] } };
  return {
    ok: true,
    doc: {
      serverName,
      document: canonicalJson(stored),
      validUntilTs: Math.min(validUntil, fetchedTs + MAX_REMOTE_KEY_LIFETIME_MS),
      fetchedTs,
      current,
      old,
    },
  };
}
