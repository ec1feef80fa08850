/**
 * Signing key identifiers (`ed25519:<version>`, spec "Signing Details"): the algorithm, a colon,
 * and a version made of `[a-zA-Z0-9_]`.
 */

import { randomBytes } from "node:crypto";

const KEY_ID = /^([a-z0-9]+):([a-zA-Z0-9_]+)$/;
const VERSION_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export interface KeyId {
  algorithm: string;
  version: string;
}

/** Splits a key id; null when it does not follow the grammar. */
export function parseKeyId(keyId: string): KeyId | null {
  const match = KEY_ID.exec(keyId);
  return match ? { algorithm: match[1]!, version: match[2]! } : null;
}

/** A new `ed25519:a_XXXX` id: the random suffix keeps a regenerated key from reusing an old id. */
export function generateEd25519KeyId(): string {
  let version = "a_";
  for (const byte of randomBytes(4)) version += VERSION_CHARS[byte % VERSION_CHARS.length];
  return `ed25519:${version}`;
}
