/**
 * Local device keys (spec "End-to-End Encryption", `POST /keys/upload`): a device publishes its
 * identity keys, one-time keys and fallback keys; others read them back with the signatures they
 * may see, and claim one-time keys (the fallback key once none is left). Every part of an upload
 * is checked before anything is stored, so a refused upload changes nothing.
 */
import {
  checkDeviceKeys,
  checkOneTimeKeys,
  isJsonObject,
  signedBytesOf,
  type DeviceKeys,
  type JsonObject,
  type KeyCheck,
  type UploadedKey,
} from "../../core";
import type { Storage } from "../../storage";
import type { DeviceKeysRow } from "../../storage/e2ee-keys";
import { MatrixError, badJson, invalidParam } from "../matrix-error";
import type { DeviceListChanges } from "./device-list-changes";

export interface KeyUploadResponse {
  one_time_key_counts: Record<string, number>;
}

/** The algorithm clients count one-time keys in; always reported, zero included (see counts). */
export const SIGNED_CURVE25519 = "signed_curve25519";

/** The checked value, or the 400 naming the field that a refused check becomes. */
export function checked<T>(check: KeyCheck<T>): T {
  if (check.ok) return check.value;
  throw new MatrixError(400, check.problem.errcode, check.problem.message);
}

export interface DeviceKeysDeps {
  storage: Storage;
  changes: DeviceListChanges;
}

export function createDeviceKeys({ storage, changes }: DeviceKeysDeps) {
  const keys = storage.e2eeKeys;
  const countListeners = new Set<(userId: string, deviceId: string) => void>();
  const countsChanged = (userId: string, deviceId: string) => {
    for (const listener of countListeners) listener(userId, deviceId);
  };

  /** A stored device's keys as served: its uploaded signatures merged in, and `unsigned` (with the display name where it may be shown). */
  function served(userId: string, row: DeviceKeysRow, signatures: readonly { signer_key: string; signature: string }[] | undefined, withName: boolean): JsonObject {
    const json = JSON.parse(row.key_json) as JsonObject;
    if (signatures && signatures.length > 0) {
      const all = isJsonObject(json.signatures) ? { ...json.signatures } : {};
      const own = { ...(isJsonObject(all[userId]) ? all[userId] : {}) };
      for (const s of signatures) own[s.signer_key] = s.signature;
      all[userId] = own;
      json.signatures = all;
    }
    json.unsigned = withName && row.display_name !== null ? { device_display_name: row.display_name } : {};
    return json;
  }

  /** The user's devices that have keys, as served (`deviceIds` empty: all of them). */
  function devicesOf(userId: string, deviceIds: readonly string[], withNames: boolean): Record<string, JsonObject> {
    const wanted = deviceIds.length > 0 ? new Set(deviceIds) : undefined;
    const signatures = keys.deviceSignatures(userId);
    const out: Record<string, JsonObject> = {};
    for (const row of keys.userDeviceKeys(userId)) {
      if (wanted && !wanted.has(row.device_id)) continue;
      out[row.device_id] = served(userId, row, signatures.get(row.device_id), withNames);
    }
    return out;
  }

  /** One device as an m.device_list_update describes it (no display name leaves this server). */
  function describeDevice(userId: string, deviceId: string): { keys?: JsonObject } | null {
    if (!storage.accounts.getDevice(userId, deviceId)) return null;
    const device = devicesOf(userId, [deviceId], false)[deviceId];
    return device ? { keys: device } : {};
  }

  function counts(userId: string, deviceId: string): Record<string, number> {
    return withZero(keys.countOneTimeKeys(userId, deviceId));
  }

  /** Checks a one-time key map against what is stored: a known key id must keep its key. */
  function newOneTimeKeys(userId: string, deviceId: string, uploaded: readonly UploadedKey[]): UploadedKey[] {
    const fresh: UploadedKey[] = [];
    for (const k of uploaded) {
      const stored = keys.getOneTimeKey(userId, deviceId, k.algorithm, k.keyId);
      if (stored === null) fresh.push(k);
      else if (!sameKey(JSON.parse(stored), k.key)) {
        throw invalidParam(`one_time_keys["${k.algorithm}:${k.keyId}"]: a different key with this id is already uploaded`);
      }
    }
    return fresh;
  }

  return {
    devicesOf,
    describeDevice,
    counts,

    /** `device_unused_fallback_key_types` of /sync. */
    unusedFallbackKeyTypes(userId: string, deviceId: string): string[] {
      return keys.unusedFallbackKeyTypes(userId, deviceId);
    },

    /** `device_one_time_keys_count` and `device_unused_fallback_key_types` of /sync, in one read. */
    syncCounts(userId: string, deviceId: string) {
      const { oneTime, unusedFallback } = keys.keyCounts(userId, deviceId);
      return { device_one_time_keys_count: withZero(oneTime), device_unused_fallback_key_types: unusedFallback };
    },

    /**
     * Stores what one upload brings for `deviceId` of `userId` (the requester's device, or the
     * dehydrated device being created). Runs inside the caller's transaction when it has one.
     */
    upload(userId: string, deviceId: string, body: unknown): KeyUploadResponse {
      if (!isJsonObject(body)) throw badJson("The body must be a JSON object");
      let deviceKeys: DeviceKeys | undefined;
      const storedJson = keys.getDeviceKeys(userId, deviceId);
      const stored = storedJson === null ? undefined : (JSON.parse(storedJson) as JsonObject);
      if (body.device_keys !== undefined) {
        deviceKeys = checked(checkDeviceKeys(body.device_keys, { userId, deviceId }));
      }
      const signer = {
        userId,
        deviceId,
        ed25519: deviceKeys?.ed25519 ?? (stored ? ed25519Of(stored, deviceId) : undefined),
      };
      const oneTime = body.one_time_keys === undefined ? [] : checked(checkOneTimeKeys(body.one_time_keys, "one_time_keys", signer));
      const fallback = body.fallback_keys === undefined ? [] : checked(checkOneTimeKeys(body.fallback_keys, "fallback_keys", signer));

      return storage.transaction(() => {
        const fresh = newOneTimeKeys(userId, deviceId, oneTime);
        keys.addOneTimeKeys(userId, deviceId, fresh.map((k) => ({ algorithm: k.algorithm, keyId: k.keyId, json: JSON.stringify(k.key) })));
        let newFallback = false;
        for (const k of fallback) {
          const current = keys.getFallbackKey(userId, deviceId, k.algorithm);
          // The same key again keeps its `used` flag: only a new key counts as unused.
          if (current && current.key_id === k.keyId && sameKey(JSON.parse(current.key_json), k.key)) continue;
          keys.putFallbackKey(userId, deviceId, k.algorithm, k.keyId, JSON.stringify(k.key));
          newFallback = true;
        }
        if (fresh.length > 0 || newFallback) countsChanged(userId, deviceId);
        if (deviceKeys) {
          const json = JSON.stringify(deviceKeys.json);
          if (json !== storedJson) {
            keys.putDeviceKeys(userId, deviceId, json);
            changes.devicesChanged(userId, [deviceId], (id) => describeDevice(userId, id));
          }
        }
        return { one_time_key_counts: counts(userId, deviceId) };
      });
    },

    /** Told of every device whose one-time or unused fallback keys changed (appservices, MSC3202). */
    onKeyCountsChange(listener: (userId: string, deviceId: string) => void): () => void {
      countListeners.add(listener);
      return () => countListeners.delete(listener);
    },

    /** Claims one key of `algorithm` for the device: a one-time key, else its fallback key. */
    claim(userId: string, deviceId: string, algorithm: string): Record<string, JsonObject | string> | undefined {
      const claimed = keys.claimOneTimeKey(userId, deviceId, algorithm) ?? keys.claimFallbackKey(userId, deviceId, algorithm);
      if (!claimed) return undefined;
      countsChanged(userId, deviceId);
      return { [`${algorithm}:${claimed.key_id}`]: JSON.parse(claimed.key_json) as JsonObject | string };
    },
  };
}
export type DeviceKeysService = ReturnType<typeof createDeviceKeys>;

/**
 * One-time key counts as reported: clients read a missing signed_curve25519 count as "unknown",
 * not zero, and then never upload more keys, so that count is always present.
 */
function withZero(counts: Record<string, number>): Record<string, number> {
  return { [SIGNED_CURVE25519]: 0, ...counts };
}

/** Two uploads of a key are the same key when they differ at most in signatures. */
function sameKey(a: unknown, b: unknown): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (!isJsonObject(a) || !isJsonObject(b)) return false;
  return signedBytesOf(a) === signedBytesOf(b);
}

function ed25519Of(deviceKeys: JsonObject, deviceId: string): string | undefined {
  const keys = deviceKeys.keys;
  const key = isJsonObject(keys) ? keys[`ed25519:${deviceId}`] : undefined;
  return typeof key === "string" ? key : undefined;
}
