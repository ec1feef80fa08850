/**
 * What local devices and users publish for end-to-end encryption: device identity keys, one-time
 * and fallback keys, cross-signing keys, the signatures uploaded for them, and dehydrated
 * devices. Keys are stored as the JSON text the client signed. A one-time key is claimed by a
 * single DELETE … RETURNING, so no two claims can ever return the same key.
 */
import type { Database } from "bun:sqlite";

export type CrossSigningKeyType = "master" | "self_signing" | "user_signing";

export interface DeviceKeysRow {
  device_id: string;
  display_name: string | null;
  key_json: string;
}

export interface ClaimedKey {
  key_id: string;
  key_json: string;
}

export interface NewOneTimeKey {
  algorithm: string;
  keyId: string;
  json: string;
}

export interface SignatureRow {
  signer_user: string;
  signer_key: string;
  signature: string;
}

export interface DehydratedDeviceRow {
  device_id: string;
  device_data: string;
}

const SELECT_DEVICE_KEYS = "SELECT key_json FROM device_keys WHERE user_id = ? AND device_id = ?";
const SELECT_USER_DEVICE_KEYS = `
  SELECT k.device_id, d.display_name, k.key_json FROM device_keys k
  JOIN devices d ON d.user_id = k.user_id AND d.device_id = k.device_id
  WHERE k.user_id = ? ORDER BY k.device_id`;
const UPSERT_DEVICE_KEYS = `
  INSERT INTO device_keys (user_id, device_id, key_json) VALUES (?, ?, ?)
  ON CONFLICT (user_id, device_id) DO UPDATE SET key_json = excluded.key_json`;

const SELECT_ONE_TIME_KEY = "SELECT key_json FROM one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? AND key_id = ?";
const INSERT_ONE_TIME_KEY = "INSERT INTO one_time_keys (user_id, device_id, algorithm, key_id, key_json) VALUES (?, ?, ?, ?, ?)";
const COUNT_ONE_TIME_KEYS = "SELECT algorithm, COUNT(*) AS n FROM one_time_keys WHERE user_id = ? AND device_id = ? GROUP BY algorithm";
const CLAIM_ONE_TIME_KEY = `
  DELETE FROM one_time_keys WHERE id = (
    SELECT id FROM one_time_keys
    WHERE user_id = ? AND device_id = ? AND algorithm = ? ORDER BY id LIMIT 1)
  RETURNING key_id, key_json`;

const SELECT_FALLBACK_KEY = "SELECT key_id, key_json, used FROM fallback_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?";
const UPSERT_FALLBACK_KEY = `
  INSERT INTO fallback_keys (user_id, device_id, algorithm, key_id, key_json, used) VALUES (?, ?, ?, ?, ?, 0)
  ON CONFLICT (user_id, device_id, algorithm) DO UPDATE SET key_id = excluded.key_id, key_json = excluded.key_json, used = 0`;
const CLAIM_FALLBACK_KEY = `
  UPDATE fallback_keys SET used = 1 WHERE user_id = ? AND device_id = ? AND algorithm = ? RETURNING key_id, key_json`;
const SELECT_UNUSED_FALLBACK = "SELECT algorithm FROM fallback_keys WHERE user_id = ? AND device_id = ? AND used = 0 ORDER BY algorithm";

// What /sync reports of a device's keys, in one read: one-time keys per algorithm, unused fallback keys.
const SELECT_KEY_COUNTS = `
  SELECT algorithm, COUNT(*) AS n, 0 AS fallback FROM one_time_keys WHERE user_id = ?1 AND device_id = ?2 GROUP BY algorithm
  UNION ALL
  SELECT algorithm, 0 AS n, 1 AS fallback FROM fallback_keys WHERE user_id = ?1 AND device_id = ?2 AND used = 0`;
const SELECT_CROSS_SIGNING = "SELECT key_type, key_json FROM cross_signing_keys WHERE user_id = ?";
const UPSERT_CROSS_SIGNING = `
  INSERT INTO cross_signing_keys (user_id, key_type, key_json) VALUES (?, ?, ?)
  ON CONFLICT (user_id, key_type) DO UPDATE SET key_json = excluded.key_json`;

const UPSERT_DEVICE_SIGNATURE = `
  INSERT INTO device_signatures (user_id, device_id, signer_key, signature) VALUES (?, ?, ?, ?)
  ON CONFLICT (user_id, device_id, signer_key) DO UPDATE SET signature = excluded.signature`;
const SELECT_DEVICE_SIGNATURES = "SELECT device_id, signer_key, signature FROM device_signatures WHERE user_id = ?";
const DELETE_DEVICE_SIGNATURES_BY = "DELETE FROM device_signatures WHERE user_id = ? AND signer_key = ?";
const UPSERT_MASTER_SIGNATURE = `
  INSERT INTO master_key_signatures (user_id, master_key, signer_user, signer_key, signature) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (user_id, master_key, signer_user, signer_key) DO UPDATE SET signature = excluded.signature`;
const SELECT_MASTER_SIGNATURES = `
  SELECT signer_user, signer_key, signature FROM master_key_signatures
  WHERE user_id = ? AND master_key = ? AND (signer_user = ? OR signer_user = ?)`;
const DELETE_MASTER_SIGNATURES = "DELETE FROM master_key_signatures WHERE user_id = ? AND master_key = ?";

const SELECT_DEHYDRATED = "SELECT device_id, device_data FROM dehydrated_devices WHERE user_id = ?";
const UPSERT_DEHYDRATED = `
  INSERT INTO dehydrated_devices (user_id, device_id, device_data) VALUES (?, ?, ?)
  ON CONFLICT (user_id) DO UPDATE SET device_id = excluded.device_id, device_data = excluded.device_data`;

export function createE2eeKeysRepo(db: Database) {
  return {
    // ---- device keys -----------------------------------------------------------------------
    getDeviceKeys(userId: string, deviceId: string): string | null {
      return db.query<{ key_json: string }, [string, string]>(SELECT_DEVICE_KEYS).get(userId, deviceId)?.key_json ?? null;
    },
    /** Every device of the user that has published keys, with its display name. */
    userDeviceKeys(userId: string): DeviceKeysRow[] {
      return db.query<DeviceKeysRow, [string]>(SELECT_USER_DEVICE_KEYS).all(userId);
    },
    putDeviceKeys(userId: string, deviceId: string, keyJson: string): void {
      db.query(UPSERT_DEVICE_KEYS).run(userId, deviceId, keyJson);
    },

    // ---- one-time keys ---------------------------------------------------------------------
    /** The stored JSON of one one-time key not yet claimed, or null. */
    getOneTimeKey(userId: string, deviceId: string, algorithm: string, keyId: string): string | null {
      return (
        db.query<{ key_json: string }, [string, string, string, string]>(SELECT_ONE_TIME_KEY).get(userId, deviceId, algorithm, keyId)
          ?.key_json ?? null
      );
    },
    /** Adds keys (none of which may exist yet) in the order given. */
    addOneTimeKeys(userId: string, deviceId: string, keys: readonly NewOneTimeKey[]): void {
      const insert = db.query(INSERT_ONE_TIME_KEY);
      for (const k of keys) insert.run(userId, deviceId, k.algorithm, k.keyId, k.json);
    },
    /** Unclaimed one-time keys per algorithm. */
    countOneTimeKeys(userId: string, deviceId: string): Record<string, number> {
      const counts: Record<string, number> = {};
      for (const row of db.query<{ algorithm: string; n: number }, [string, string]>(COUNT_ONE_TIME_KEYS).all(userId, deviceId)) {
        counts[row.algorithm] = row.n;
      }
      return counts;
    },
    /** Removes and returns the device's oldest one-time key of `algorithm`, or null when none is left. */
    claimOneTimeKey(userId: string, deviceId: string, algorithm: string): ClaimedKey | null {
      return db.query<ClaimedKey, [string, string, string]>(CLAIM_ONE_TIME_KEY).get(userId, deviceId, algorithm);
    },

    // ---- fallback keys ---------------------------------------------------------------------
    getFallbackKey(userId: string, deviceId: string, algorithm: string): (ClaimedKey & { used: number }) | null {
      return db.query<ClaimedKey & { used: number }, [string, string, string]>(SELECT_FALLBACK_KEY).get(userId, deviceId, algorithm);
    },
    /** Replaces the device's fallback key of `algorithm`; the new key is unused. */
    putFallbackKey(userId: string, deviceId: string, algorithm: string, keyId: string, keyJson: string): void {
      db.query(UPSERT_FALLBACK_KEY).run(userId, deviceId, algorithm, keyId, keyJson);
    },
    /** Returns the fallback key of `algorithm` and marks it used (it stays, for later claims). */
    claimFallbackKey(userId: string, deviceId: string, algorithm: string): ClaimedKey | null {
      return db.query<ClaimedKey, [string, string, string]>(CLAIM_FALLBACK_KEY).get(userId, deviceId, algorithm);
    },
    unusedFallbackKeyTypes(userId: string, deviceId: string): string[] {
      return db.query<{ algorithm: string }, [string, string]>(SELECT_UNUSED_FALLBACK).all(userId, deviceId).map((r) => r.algorithm);
    },
    /** Both counts /sync reports, in one read. */
    keyCounts(userId: string, deviceId: string): { oneTime: Record<string, number>; unusedFallback: string[] } {
      const oneTime: Record<string, number> = {};
      const unusedFallback: string[] = [];
      const rows = db.query<{ algorithm: string; n: number; fallback: number }, [string, string]>(SELECT_KEY_COUNTS).all(userId, deviceId);
      for (const r of rows) {
        if (r.fallback) unusedFallback.push(r.algorithm);
        else oneTime[r.algorithm] = r.n;
      }
      return { oneTime, unusedFallback: unusedFallback.sort() };
    },

    // ---- cross-signing keys and signatures --------------------------------------------------
    crossSigningKeys(userId: string): Partial<Record<CrossSigningKeyType, string>> {
      const keys: Partial<Record<CrossSigningKeyType, string>> = {};
      for (const row of db.query<{ key_type: CrossSigningKeyType; key_json: string }, [string]>(SELECT_CROSS_SIGNING).all(userId)) {
        keys[row.key_type] = row.key_json;
      }
      return keys;
    },
    putCrossSigningKey(userId: string, type: CrossSigningKeyType, keyJson: string): void {
      db.query(UPSERT_CROSS_SIGNING).run(userId, type, keyJson);
    },
    /** A signature of the user's device by their self-signing key (`signerKey` is its key id). */
    putDeviceSignature(userId: string, deviceId: string, signerKey: string, signature: string): void {
      db.query(UPSERT_DEVICE_SIGNATURE).run(userId, deviceId, signerKey, signature);
    },
    /** Uploaded signatures of the user's devices, by device. */
    deviceSignatures(userId: string): Map<string, { signer_key: string; signature: string }[]> {
      const byDevice = new Map<string, { signer_key: string; signature: string }[]>();
      const rows = db.query<{ device_id: string; signer_key: string; signature: string }, [string]>(SELECT_DEVICE_SIGNATURES).all(userId);
      for (const { device_id, signer_key, signature } of rows) {
        const list = byDevice.get(device_id) ?? [];
        list.push({ signer_key, signature });
        byDevice.set(device_id, list);
      }
      return byDevice;
    },
    /** Forgets the signatures a replaced self-signing key made. */
    deleteDeviceSignaturesBy(userId: string, signerKey: string): void {
      db.query(DELETE_DEVICE_SIGNATURES_BY).run(userId, signerKey);
    },
    putMasterKeySignature(userId: string, masterKey: string, signerUser: string, signerKey: string, signature: string): void {
      db.query(UPSERT_MASTER_SIGNATURE).run(userId, masterKey, signerUser, signerKey, signature);
    },
    /** Signatures of a master key that `viewer` may see: its own user's, and the viewer's own. */
    masterKeySignatures(userId: string, masterKey: string, viewer: string): SignatureRow[] {
      return db.query<SignatureRow, [string, string, string, string]>(SELECT_MASTER_SIGNATURES).all(userId, masterKey, userId, viewer);
    },
    /** Forgets every signature of a replaced master key. */
    deleteMasterKeySignatures(userId: string, masterKey: string): void {
      db.query(DELETE_MASTER_SIGNATURES).run(userId, masterKey);
    },

    // ---- dehydrated devices ----------------------------------------------------------------
    getDehydratedDevice(userId: string): DehydratedDeviceRow | null {
      return db.query<DehydratedDeviceRow, [string]>(SELECT_DEHYDRATED).get(userId);
    },
    /** Records the user's dehydrated device (its device row must exist). */
    putDehydratedDevice(userId: string, deviceId: string, deviceData: string): void {
      db.query(UPSERT_DEHYDRATED).run(userId, deviceId, deviceData);
    },
  };
}
export type E2eeKeysRepo = ReturnType<typeof createE2eeKeysRepo>;
