/**
 * Devices created, deleted or renamed, told synchronously inside the transaction that changed them, so
 * what must follow (other users and servers told of the device list change) commits with the
 * change or not at all. Every path that deletes devices goes through here: logout, logout/all,
 * delete_devices, a password change, deactivation.
 */

export interface DeviceChange {
  userId: string;
  deviceIds: readonly string[];
  kind: "created" | "deleted" | "renamed";
}

export type DeviceChangeListener = (change: DeviceChange) => void;

export function createDeviceChanges() {
  const listeners: DeviceChangeListener[] = [];
  return {
    subscribe(listener: DeviceChangeListener): void {
      listeners.push(listener);
    },
    /** Call inside the transaction that made the change. */
    emit(change: DeviceChange): void {
      if (change.deviceIds.length === 0) return;
      for (const listener of listeners) listener(change);
    },
  };
}
export type DeviceChanges = ReturnType<typeof createDeviceChanges>;
