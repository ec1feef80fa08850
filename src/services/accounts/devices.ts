/**
 * Device management (spec "Device Management"): a user lists, names and deletes their own devices.
 * Deleting needs UIA (the password again), since a stolen token must not lock the owner out; it
 * also removes the devices' access tokens. Deleting a device that is already gone succeeds.
 * Application services (since v1.17) create devices with `PUT /devices/{deviceId}` and delete
 * them without UIA: their users have no password.
 */
import type { Clock } from "../../runtime/clock";
import type { Storage } from "../../storage";
import type { DeviceRow } from "../../storage/accounts";
import { REAUTH_FLOWS, type RequestContext } from "./users";
import type { Requester } from "./access-tokens";
import { notFound } from "../matrix-error";
import type { DeviceChanges } from "./device-changes";
import type { UiaService } from "./uia";

/** A device as the client API shows it: fields without a value are left out. */
export interface ClientDevice {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

function toClientDevice(row: DeviceRow): ClientDevice {
  const device: ClientDevice = { device_id: row.device_id };
  if (row.display_name !== null) device.display_name = row.display_name;
  if (row.last_seen_ip !== null) device.last_seen_ip = row.last_seen_ip;
  if (row.last_seen_ts !== null) device.last_seen_ts = row.last_seen_ts;
  return device;
}

const unknownDevice = () => notFound("Unknown device");

export function createDevicesService(storage: Storage, uia: UiaService, clock: Clock, changes: DeviceChanges) {
  async function deleteDevices(requester: Requester, deviceIds: readonly string[], auth: unknown, ctx: RequestContext) {
    const { userId } = requester;
    const remove = () => {
      storage.transaction(() => {
        const deleted = deviceIds.filter((deviceId) => storage.accounts.deleteDevice(userId, deviceId));
        changes.emit({ userId, deviceIds: deleted, kind: "deleted" });
      });
    };
    if (requester.appservice) return remove();
    await uia.run({ ...ctx, userId: requester.userId, auth }, REAUTH_FLOWS, remove);
  }

  return {
    listDevices(requester: Requester): { devices: ClientDevice[] } {
      return { devices: storage.accounts.getDevices(requester.userId).map(toClientDevice) };
    },

    getDevice(requester: Requester, deviceId: string): ClientDevice {
      const row = storage.accounts.getDevice(requester.userId, deviceId);
      if (!row) throw unknownDevice();
      return toClientDevice(row);
    },

    /** Only existing devices are updated; an application service creates the device if it is new. */
    updateDevice(requester: Requester, deviceId: string, displayName: string | undefined): void {
      if (requester.appservice && !storage.accounts.getDevice(requester.userId, deviceId)) {
        storage.transaction(() => {
          if (storage.accounts.ensureDevice(requester.userId, deviceId, displayName ?? null, clock.now())) {
            changes.emit({ userId: requester.userId, deviceIds: [deviceId], kind: "created" });
          }
        });
        return;
      }
      const { userId } = requester;
      const exists = displayName === undefined
        ? storage.accounts.getDevice(userId, deviceId) !== null
        : storage.transaction(() => {
            const renamed = storage.accounts.setDeviceDisplayName(userId, deviceId, displayName);
            if (renamed) changes.emit({ userId, deviceIds: [deviceId], kind: "renamed" });
            return renamed;
          });
      if (!exists) throw unknownDevice();
    },

    deleteDevice(requester: Requester, deviceId: string, auth: unknown, ctx: RequestContext): Promise<void> {
      return deleteDevices(requester, [deviceId], auth, ctx);
    },

    deleteDevices,
  };
}
export type DevicesService = ReturnType<typeof createDevicesService>;
