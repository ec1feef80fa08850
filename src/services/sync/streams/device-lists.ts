/**
 * The device list stream (spec "Tracking the device list for a user", "Extensions to /sync") and
 * the device's key counts: `device_lists` (who changed devices among those sharing a room, who
 * started sharing one, who stopped sharing every room) on incremental syncs, and on every sync
 * `device_one_time_keys_count` and `device_unused_fallback_key_types`.
 */
import type { DeviceKeysService } from "../../e2ee/device-keys";
import type { DeviceListChanges } from "../../e2ee/device-list-changes";
import type { SyncStream } from "./stream";

export function deviceListsStream(changes: DeviceListChanges, deviceKeys: DeviceKeysService): SyncStream {
  return {
    key: "device_lists",
    position: () => changes.position(),
    section(req, since, to) {
      const counts = deviceKeys.syncCounts(req.userId, req.deviceId);
      const from = req.roomEvents.since;
      if (since === undefined || from === undefined) return { fields: { device_lists: { changed: [], left: [] }, ...counts }, news: false };
      const lists = changes.section(req.userId, { events: from, deviceLists: since }, { events: req.roomEvents.to, deviceLists: to });
      return { fields: { device_lists: lists, ...counts }, news: lists.changed.length > 0 || lists.left.length > 0 };
    },
  };
}
