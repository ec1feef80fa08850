/**
 * The server's ed25519 signing identity. The first start generates a seed and a key id
 * (`ed25519:` + random); later starts reuse it, so our signatures stay verifiable by peers.
 * Rotation (run while the server is stopped) retires the current key — it stays published in
 * `old_verify_keys` so events it signed remain verifiable — and creates a new one.
 */
import { generateEd25519KeyId, generateSigningSeed, type SigningKey } from "../../../core";
import type { Storage } from "../../../storage";
import type { Clock } from "../../../runtime/clock";

function createSigningKey(storage: Storage, clock: Clock): SigningKey {
  const keyId = generateEd25519KeyId();
  const seed = generateSigningSeed();
  storage.serverKeys.insertKey(keyId, seed, clock.now());
  return { keyId, seed };
}

export function loadOrCreateSigningKey(storage: Storage, clock: Clock): SigningKey {
  const existing = storage.serverKeys.activeKey();
  if (existing) return { keyId: existing.key_id, seed: new Uint8Array(existing.seed) };
  return createSigningKey(storage, clock);
}

/** Retires the active key and makes a new one; returns the new key and the retired key's id. */
export function rotateSigningKey(storage: Storage, clock: Clock): { key: SigningKey; retired?: string } {
  return storage.transaction(() => {
    const active = storage.serverKeys.activeKey();
    if (active) storage.serverKeys.retireKey(active.key_id, clock.now());
    return { key: createSigningKey(storage, clock), retired: active?.key_id };
  });
}
