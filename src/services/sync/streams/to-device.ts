/**
 * The to-device stream (spec "Send-to-Device messaging"). No to-device messages are stored yet
 * (the E2EE work adds them here): the section is the spec's empty `to_device`, the position 0.
 */
import type { SyncStream } from "./stream";

export function toDeviceStream(): SyncStream {
  return {
    key: "to_device",
    position: () => 0,
    section: () => ({ fields: { to_device: { events: [] } }, news: false }),
  };
}
