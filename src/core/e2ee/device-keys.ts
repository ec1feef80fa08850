/**
 * Device keys (spec "Device keys", `POST /keys/upload`): the long-lived identity of one device,
 * signed by its own Ed25519 key. The server checks their shape and owner and relays them; it does
 * not judge the self-signature or refuse changed keys (nor do Synapse and Conduit): every client
 * verifies a device's keys before it trusts them and notices keys that change, and a later upload
 * is a device-list change that makes them look again.
 */

import { isJsonObject, type JsonObject } from "../types.ts";
import {
  CURVE25519,
  ED25519,
  MAX_KEY_NAME_LENGTH,
  accept,
  checkSignaturesShape,
  fieldOf,
  own,
  refuse,
  splitKeyName,
  type KeyCheck,
} from "./key-check.ts";

export interface DeviceKeys {
  /** The object as uploaded, without `unsigned` (the server fills that in on the way out). */
  json: JsonObject;
  /** The device's Ed25519 public key (`keys["ed25519:<device_id>"]`), when it has one. */
  ed25519: string | undefined;
  /** The device's Curve25519 identity key, when it has one. */
  curve25519: string | undefined;
}

export interface KeyOwner {
  userId: string;
  deviceId: string;
}

/**
 * Checks uploaded device keys: they belong to `owner`, name their algorithms and keys, and carry
 * well-formed signatures. `field` is where they sit in the request body.
 */
export function checkDeviceKeys(value: unknown, owner: KeyOwner, field = "device_keys"): KeyCheck<DeviceKeys> {
  if (!isJsonObject(value)) return refuse("M_BAD_JSON", field, "must be an object");
  const userId = own(value, "user_id");
  if (typeof userId !== "string") return refuse("M_BAD_JSON", fieldOf(field, "user_id"), "must be a string");
  if (userId !== owner.userId) {
    return refuse("M_INVALID_PARAM", fieldOf(field, "user_id"), `keys of ${owner.userId} cannot be uploaded as ${userId}`);
  }
  const deviceId = own(value, "device_id");
  if (typeof deviceId !== "string") return refuse("M_BAD_JSON", fieldOf(field, "device_id"), "must be a string");
  if (deviceId !== owner.deviceId) {
    return refuse("M_INVALID_PARAM", fieldOf(field, "device_id"), `must be the uploading device, ${owner.deviceId}`);
  }
  const algorithms = own(value, "algorithms");
  if (!Array.isArray(algorithms)) return refuse("M_BAD_JSON", fieldOf(field, "algorithms"), "must be an array");
  for (let i = 0; i < algorithms.length; i++) {
    const algorithm = algorithms[i];
    if (typeof algorithm !== "string" || algorithm === "" || algorithm.length > MAX_KEY_NAME_LENGTH) {
      return refuse("M_BAD_JSON", `${fieldOf(field, "algorithms")}[${i}]`, "must be an algorithm name");
    }
  }
  const dehydrated = own(value, "dehydrated");
  if (dehydrated !== undefined && typeof dehydrated !== "boolean") {
    return refuse("M_BAD_JSON", fieldOf(field, "dehydrated"), "must be a boolean");
  }

  const keysField = fieldOf(field, "keys");
  const keys = own(value, "keys");
  if (!isJsonObject(keys)) return refuse("M_BAD_JSON", keysField, "must be an object");
  for (const [name, key] of Object.entries(keys)) {
    if (!splitKeyName(name)) return refuse("M_BAD_JSON", fieldOf(keysField, name), "is not named <algorithm>:<device_id>");
    if (typeof key !== "string") return refuse("M_BAD_JSON", fieldOf(keysField, name), "must be a string");
  }
  const ed25519Name = `${ED25519}:${deviceId}`;
  const ed25519 = own(keys, ed25519Name) as string | undefined;
  const curve25519 = own(keys, `${CURVE25519}:${deviceId}`);

  const signaturesField = fieldOf(field, "signatures");
  const signatures = checkSignaturesShape(own(value, "signatures"), signaturesField);
  if (!signatures.ok) return signatures;
  const { unsigned: _unsigned, ...json } = value;
  return accept({ json, ed25519, curve25519: curve25519 as string | undefined });
}
