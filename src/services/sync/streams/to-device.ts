/**
 * The to-device stream (spec "Send-to-Device messaging"): the device's waiting messages, at most
 * a batch per sync; a full batch makes the next token resume after its last message, so the rest
 * follows at once. Syncing past a message acknowledges (deletes) it.
 */
import type { ToDevice } from "../../e2ee/to-device";
import type { SyncStream } from "./stream";

export function toDeviceStream(toDevice: ToDevice): SyncStream {
  return {
    key: "to_device",
    position: () => toDevice.position(),
    section(req, since, to) {
      const { events, position } = toDevice.syncSection(req.userId, req.deviceId, since, to);
      return { fields: { to_device: { events } }, news: events.length > 0, resumeAt: position < to ? position : undefined };
    },
  };
}
