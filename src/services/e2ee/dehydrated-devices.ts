/**
 * Dehydrated devices (MSC3814, `/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device`,
 * as matrix-js-sdk and Element use it): one offline device per user that keeps receiving room
 * keys while no client runs. It is a device of its own (no access token), uploaded with its keys in
 * one request; a new one replaces the old, whose inbox and keys go with it.
 */
import { isJsonObject, type JsonObject } from "../../core";
import type { Storage } from "../../storage";
import type { Clock } from "../../runtime/clock";
import { badJson, invalidParam, notFound } from "../matrix-error";
import type { DeviceKeysService } from "./device-keys";
import type { DeviceListChanges } from "./device-list-changes";

const MAX_DEVICE_ID_LENGTH = 255;

export interface DehydratedDevicesDeps {
  storage: Storage;
  clock: Clock;
  deviceKeys: DeviceKeysService;
  changes: DeviceListChanges;
}

export function createDehydratedDevices({ storage, clock, deviceKeys, changes }: DehydratedDevicesDeps) {
  const keys = storage.e2eeKeys;

  /** Deletes the user's dehydrated device (inside the caller's transaction); its id, if any. */
  function remove(userId: string): string | undefined {
    const current = keys.getDehydratedDevice(userId);
    if (!current) return undefined;
    storage.accounts.deleteDevice(userId, current.device_id);
    changes.devicesChanged(userId, [current.device_id], () => null);
    return current.device_id;
  }

  return {
    get(userId: string): { device_id: string; device_data: JsonObject } {
      const current = keys.getDehydratedDevice(userId);
      if (!current) throw notFound("No dehydrated device");
      return { device_id: current.device_id, device_data: JSON.parse(current.device_data) as JsonObject };
    },

    /** `PUT /dehydrated_device`: the device, its data and its keys, all or nothing. */
    put(userId: string, body: unknown): { device_id: string } {
      if (!isJsonObject(body)) throw badJson("The body must be a JSON object");
      const { device_id: deviceId, device_data: deviceData, initial_device_display_name: displayName } = body;
      if (typeof deviceId !== "string" || deviceId === "" || deviceId.length > MAX_DEVICE_ID_LENGTH) {
        throw badJson("device_id: must be a device id");
      }
      if (!isJsonObject(deviceData) || typeof deviceData.algorithm !== "string") {
        throw badJson("device_data: must be an object with an algorithm");
      }
      if (displayName !== undefined && typeof displayName !== "string") throw badJson("initial_device_display_name: must be a string");
      if (body.device_keys === undefined) throw badJson("device_keys: a dehydrated device must publish its keys");
      return storage.transaction(() => {
        const replaced = remove(userId);
        // Only a new id, or the one being replaced: a dehydrated device never takes over a real one.
        if (replaced !== deviceId && storage.accounts.getDevice(userId, deviceId)) {
          throw invalidParam("device_id: one of your devices already has this id");
        }
        storage.accounts.ensureDevice(userId, deviceId, displayName ?? null, clock.now());
        keys.putDehydratedDevice(userId, deviceId, JSON.stringify(deviceData));
        deviceKeys.upload(userId, deviceId, {
          device_keys: body.device_keys,
          one_time_keys: body.one_time_keys,
          fallback_keys: body.fallback_keys,
        });
        return { device_id: deviceId };
      });
    },

    /** `DELETE /dehydrated_device` (no UIA: it deletes only the dehydrated device). */
    delete(userId: string): { device_id: string } {
      const deleted = storage.transaction(() => remove(userId));
      if (deleted === undefined) throw notFound("No dehydrated device");
      return { device_id: deleted };
    },
  };
}
export type DehydratedDevices = ReturnType<typeof createDehydratedDevices>;
