/**
 * Pure-JS reference implementations (@noble) of the primitives in `ed25519.ts` and `sha256.ts`.
 * Production code uses the native ones; tests check both agree on thousands of inputs, and the
 * benchmarks show what the native path buys.
 */

import * as ed from "@noble/ed25519";
import { sha256 as nobleSha256, sha512 } from "@noble/hashes/sha2.js";

// noble's synchronous API needs its SHA-512 supplied.
ed.hashes.sha512 = sha512;

const utf8 = new TextEncoder();

function toBytes(message: Uint8Array | string): Uint8Array {
  return typeof message === "string" ? utf8.encode(message) : message;
}

export function referenceSha256(data: Uint8Array | string): Uint8Array {
  return nobleSha256(toBytes(data));
}

export function referencePublicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed);
}

export function referenceSignEd25519(message: Uint8Array | string, seed: Uint8Array): Uint8Array {
  return ed.sign(toBytes(message), seed);
}

/**
 * Strict RFC 8032 verification (`zip215: false`), the rule native OpenSSL/BoringSSL applies;
 * noble's default (ZIP-215) accepts some non-canonical encodings the native code refuses.
 */
export function referenceVerifyEd25519(signature: Uint8Array, message: Uint8Array | string, publicKey: Uint8Array): boolean {
  try {
    return ed.verify(signature, toBytes(message), publicKey, { zip215: false });
  } catch {
    return false;
  }
}
