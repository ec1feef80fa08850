/** The server's ed25519 signing identity: the key id (`ed25519:…`) and the 32-byte seed. */
export interface SigningKey {
  keyId: string;
  seed: Uint8Array;
}
