/**
 * Ed25519 with the runtime's native implementation (node:crypto): ~20x faster than pure JS, which
 * matters when a join brings hundreds of thousands of events to verify. Keys travel as raw bytes
 * (a 32-byte seed, a 32-byte public key) as Matrix stores and publishes them; they are wrapped in
 * the fixed DER prefixes node:crypto wants. `reference.ts` holds the pure-JS twin the tests
 * compare against.
 */

import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from "node:crypto";

/** PKCS#8 header of an Ed25519 private key (RFC 8410), followed by the 32-byte seed. */
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
/** SubjectPublicKeyInfo header of an Ed25519 public key (RFC 8410), followed by the 32 bytes. */
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

export const ED25519_SEED_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** A fresh random signing key seed (the 32 bytes a server keeps secret). */
export function generateSigningSeed(): Uint8Array {
  return new Uint8Array(randomBytes(ED25519_SEED_BYTES));
}

// A server signs with one long-lived seed: importing it costs about as much as a signature, so the
// imported key is kept for as long as the seed array lives.
const privateKeys = new WeakMap<Uint8Array, KeyObject>();

function privateKeyOf(seed: Uint8Array): KeyObject {
  let key = privateKeys.get(seed);
  if (!key) {
    if (seed.length !== ED25519_SEED_BYTES) throw new RangeError("an Ed25519 seed is 32 bytes");
    key = createPrivateKey({ key: withPrefix(PKCS8_PREFIX, seed), format: "der", type: "pkcs8" });
    privateKeys.set(seed, key);
  }
  return key;
}

function withPrefix(prefix: Uint8Array, raw: Uint8Array): Buffer {
  const der = Buffer.allocUnsafe(prefix.length + raw.length);
  der.set(prefix, 0);
  der.set(raw, prefix.length);
  return der;
}

export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyOf(seed)).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}

export function signEd25519(message: Uint8Array | string, seed: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, toBytes(message), privateKeyOf(seed)));
}

/** False (never a throw) for a malformed key or signature. */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array | string, publicKey: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES || publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return false;
  try {
    const key = createPublicKey({ key: withPrefix(SPKI_PREFIX, publicKey), format: "der", type: "spki" });
    return verify(null, toBytes(message), key, signature);
  } catch {
    return false; // a public key that is not a curve point
  }
}

function toBytes(message: Uint8Array | string): Uint8Array {
  return typeof message === "string" ? Buffer.from(message, "utf8") : message;
}
