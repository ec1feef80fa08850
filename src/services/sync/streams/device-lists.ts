/**
 * The device list stream (spec "Tracking the device list for a user") and the one-time key
 * counts. No device keys are stored yet (the E2EE work adds them here): the sections are the
 * spec's empty `device_lists` and `device_one_time_keys_count`, the position 0.
 */
import type { SyncStream } from "./stream";

export function deviceListsStream(): SyncStream {
  return {
    key: "device_lists",
    position: () => 0,
    section: () => ({ fields: { device_lists: { changed: [], left: [] }, device_one_time_keys_count: {} }, news: false }),
  };
}
