/**
 * Send-to-device messages (spec "Send-to-Device messaging"): the `messages` map of
 * `PUT /sendToDevice` and of the `m.direct_to_device` EDU, from user id to device id (or `*`, every
 * device of the user) to the message content.
 */

import { isValidUserId } from "../ids.ts";
import { isJsonObject, type JsonObject } from "../types.ts";
import { MAX_KEY_NAME_LENGTH, accept, fieldOf, refuse, type KeyCheck } from "./key-check.ts";

/** The device id that addresses every device of a user. */
export const ALL_DEVICES = "*";

export interface ToDeviceMessage {
  userId: string;
  /** A device id, or `*`. */
  deviceId: string;
  content: JsonObject;
}

export function checkToDeviceMessages(value: unknown, field = "messages"): KeyCheck<ToDeviceMessage[]> {
  if (!isJsonObject(value)) return refuse("M_BAD_JSON", field, "must be an object");
  const out: ToDeviceMessage[] = [];
  for (const [userId, byDevice] of Object.entries(value)) {
    const userField = fieldOf(field, userId);
    if (!isValidUserId(userId)) return refuse("M_INVALID_PARAM", userField, "is not a user id");
    if (!isJsonObject(byDevice)) return refuse("M_BAD_JSON", userField, "must be an object");
    for (const [deviceId, content] of Object.entries(byDevice)) {
      const deviceField = fieldOf(userField, deviceId);
      if (deviceId === "" || deviceId.length > MAX_KEY_NAME_LENGTH) return refuse("M_INVALID_PARAM", deviceField, "is not a device id");
      if (!isJsonObject(content)) return refuse("M_BAD_JSON", deviceField, "must be an object");
      out.push({ userId, deviceId, content });
    }
  }
  return accept(out);
}
