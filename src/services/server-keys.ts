/**
 * The server's ed25519 signing identity. The first start generates a seed and a key id
 * (`ed25519:` + random); later starts reuse it, so our signatures stay verifiable by peers.
 */
import { randomBytes } from "node:crypto";
import type { Storage } from "../storage";
import type { Clock } from "./clock";

export interface SigningKey {
  keyId: string;
  seed: Uint8Array;
}

export function loadOrCreateSigningKey(storage: Storage, clock: Clock): SigningKey {
  const existing = storage.serverKeys.activeKey();
  if (existing) return { keyId: existing.key_id, seed: new Uint8Array(existing.seed) };
  const keyId = `ed25519:${randomBytes(6).toString("base64url").replace(/[^A-Za-z0-9_]/g, "_")}`;
  const seed = new Uint8Array(randomBytes(32));
  storage.serverKeys.insertKey(keyId, seed, clock.now());
  return { keyId, seed };
}
