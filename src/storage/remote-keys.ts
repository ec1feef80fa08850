/**
 * Other servers' signing keys: one row per (server, key id) with how long it may be trusted, and
 * for each the newest self-signed key document that listed it, for notary answers.
 */
import type { Database } from "bun:sqlite";

export interface RemoteKeyRow {
  server_name: string;
  key_id: string;
  /** Unpadded base64. */
  public_key: string;
  valid_until_ts: number;
  expired_ts: number | null;
}

export interface KeyDocumentRow {
  server_name: string;
  key_id: string;
  document: string;
  valid_until_ts: number;
  fetched_ts: number;
}

const SELECT_KEY = "SELECT * FROM remote_server_keys WHERE server_name = ? AND key_id = ?";
// A newer document can only extend how long a current key is trusted; retiring it is final.
const UPSERT_CURRENT = `
  INSERT INTO remote_server_keys (server_name, key_id, public_key, valid_until_ts) VALUES (?, ?, ?, ?)
  ON CONFLICT (server_name, key_id) DO UPDATE SET
    public_key = excluded.public_key,
    valid_until_ts = max(valid_until_ts, excluded.valid_until_ts)
  WHERE expired_ts IS NULL`;
const UPSERT_OLD = `
  INSERT INTO remote_server_keys (server_name, key_id, public_key, valid_until_ts, expired_ts) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (server_name, key_id) DO UPDATE SET
    expired_ts = min(coalesce(expired_ts, excluded.expired_ts), excluded.expired_ts)`;
const SELECT_DOCUMENTS = "SELECT * FROM remote_server_key_documents WHERE server_name = ? ORDER BY key_id";
const SELECT_DOCUMENT = "SELECT * FROM remote_server_key_documents WHERE server_name = ? AND key_id = ?";
const UPSERT_DOCUMENT = `
  INSERT INTO remote_server_key_documents (server_name, key_id, document, valid_until_ts, fetched_ts) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (server_name, key_id) DO UPDATE SET
    document = excluded.document, valid_until_ts = excluded.valid_until_ts, fetched_ts = excluded.fetched_ts
  WHERE excluded.valid_until_ts >= valid_until_ts`;

export interface StoredKeyDocument {
  serverName: string;
  /** The document as received (canonical JSON), with its own signatures. */
  document: string;
  validUntilTs: number;
  fetchedTs: number;
  current: ReadonlyArray<{ keyId: string; publicKey: string }>;
  old: ReadonlyArray<{ keyId: string; publicKey: string; expiredTs: number }>;
}

export function createRemoteKeysRepo(db: Database) {
  return {
    getKey(serverName: string, keyId: string): RemoteKeyRow | null {
      return db.query<RemoteKeyRow, [string, string]>(SELECT_KEY).get(serverName, keyId);
    },

    /** The newest document that listed each of the server's keys. */
    getDocuments(serverName: string): KeyDocumentRow[] {
      return db.query<KeyDocumentRow, [string]>(SELECT_DOCUMENTS).all(serverName);
    },

    getDocumentForKey(serverName: string, keyId: string): KeyDocumentRow | null {
      return db.query<KeyDocumentRow, [string, string]>(SELECT_DOCUMENT).get(serverName, keyId);
    },

    /** Stores a verified key document and the keys it lists, atomically. */
    storeDocument(doc: StoredKeyDocument): void {
      db.transaction(() => {
        for (const k of doc.current) db.query(UPSERT_CURRENT).run(doc.serverName, k.keyId, k.publicKey, doc.validUntilTs);
        for (const k of doc.old) db.query(UPSERT_OLD).run(doc.serverName, k.keyId, k.publicKey, k.expiredTs, k.expiredTs);
        for (const k of [...doc.current, ...doc.old]) {
          db.query(UPSERT_DOCUMENT).run(doc.serverName, k.keyId, doc.document, doc.validUntilTs, doc.fetchedTs);
        }
      })();
    },
  };
}
export type RemoteKeysRepo = ReturnType<typeof createRemoteKeysRepo>;
