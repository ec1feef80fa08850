/**
 * SHA-256 with the native implementation (node:crypto one-shot `hash`, ~10x the pure-JS speed).
 * Strings are hashed as their UTF-8 bytes, which is what canonical JSON means.
 */

import { hash } from "node:crypto";

export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(hash("sha256", data, "buffer"));
}
