/** The server's own signing keys: generated once, kept across restarts, retired rather than deleted. */
import type { Database } from "bun:sqlite";

export interface SigningKeyRow {
  key_id: string;
  seed: Uint8Array;
  created_ts: number;
  expired_ts: number | null;
}

const SELECT_ACTIVE = "SELECT * FROM server_signing_keys WHERE expired_ts IS NULL ORDER BY created_ts DESC LIMIT 1";
const SELECT_ALL = "SELECT * FROM server_signing_keys ORDER BY created_ts";
const INSERT = "INSERT INTO server_signing_keys (key_id, seed, created_ts) VALUES (?, ?, ?)";
const RETIRE = "UPDATE server_signing_keys SET expired_ts = ? WHERE key_id = ? AND expired_ts IS NULL";

export function createServerKeysRepo(db: Database) {
  return {
    activeKey(): SigningKeyRow | null {
      return db.query<SigningKeyRow, []>(SELECT_ACTIVE).get();
    },
    allKeys(): SigningKeyRow[] {
      return db.query<SigningKeyRow, []>(SELECT_ALL).all();
    },
    insertKey(keyId: string, seed: Uint8Array, createdTs: number): void {
      db.query(INSERT).run(keyId, seed, createdTs);
    },
    /** Stops signing with a key; it stays published in `old_verify_keys`. */
    retireKey(keyId: string, expiredTs: number): void {
      db.query(RETIRE).run(expiredTs, keyId);
    },
  };
}
export type ServerKeysRepo = ReturnType<typeof createServerKeysRepo>;
