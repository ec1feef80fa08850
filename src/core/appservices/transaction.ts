/**
 * The body of `PUT /_matrix/app/v1/transactions/{txnId}` (spec "Pushing events") from the items
 * queued for one appservice, in queue order. `events` is always present (the spec requires it);
 * the other keys only when they hold something, under the names the registration asked for:
 * `ephemeral` (v1.13, `receive_ephemeral`) and/or `de.sorunome.msc2409.ephemeral` (MSC2409's
 * `push_ephemeral`); `to_device` (MSC4203, also under MSC2409's unstable name for registrations
 * that use it); device list changes and key counts under MSC3202's unstable names. Several
 * device-list items for one user keep the last; several key counts for one device keep the last.
 */
import type { JsonObject, JsonValue } from "../types.ts";
import type { Registration } from "./registration.ts";

export type AppserviceItemKind = "event" | "ephemeral" | "to_device" | "device_list" | "key_counts";

/** A device-list item: the user's devices changed, or the appservice's users stopped sharing a room with them. */
export interface DeviceListItem {
  user_id: string;
  change: "changed" | "left";
}

/** A key-counts item for one device of one of the appservice's users (MSC3202). */
export interface KeyCountsItem {
  user_id: string;
  device_id: string;
  one_time_keys_count: Record<string, number>;
  unused_fallback_key_types: string[];
}

export interface QueuedItem {
  kind: AppserviceItemKind;
  /** The item's JSON as queued. */
  payload: string;
}

export const UNSTABLE_EPHEMERAL = "de.sorunome.msc2409.ephemeral";
export const UNSTABLE_TO_DEVICE = "de.sorunome.msc2409.to_device";
export const MSC3202_DEVICE_LISTS = "org.matrix.msc3202.device_lists";
export const MSC3202_OTK_COUNTS = "org.matrix.msc3202.device_one_time_keys_count";
export const MSC3202_FALLBACK_KEYS = "org.matrix.msc3202.device_unused_fallback_key_types";

/** Whether the registration asked for typing, receipts and presence (under either name). */
export const wantsEphemeral = (r: Registration): boolean => r.receiveEphemeral || r.unstableEphemeral;

export function transactionBody(registration: Registration, items: readonly QueuedItem[]): JsonObject {
  const events: JsonValue[] = [];
  const ephemeral: JsonValue[] = [];
  const toDevice: JsonValue[] = [];
  const deviceLists = new Map<string, DeviceListItem["change"]>();
  const counts = new Map<string, KeyCountsItem>();
  for (const item of items) {
    const value = JSON.parse(item.payload) as JsonObject;
    if (item.kind === "event") events.push(value);
    else if (item.kind === "ephemeral") ephemeral.push(value);
    else if (item.kind === "to_device") toDevice.push(value);
    else if (item.kind === "device_list") {
      const change = value as unknown as DeviceListItem;
      deviceLists.delete(change.user_id); // the later change counts, in its own place
      deviceLists.set(change.user_id, change.change);
    } else {
      const c = value as unknown as KeyCountsItem;
      counts.set(JSON.stringify([c.user_id, c.device_id]), c);
    }
  }

  const body: JsonObject = { events };
  if (ephemeral.length > 0) {
    if (registration.receiveEphemeral) body.ephemeral = ephemeral;
    if (registration.unstableEphemeral) body[UNSTABLE_EPHEMERAL] = ephemeral;
  }
  if (toDevice.length > 0) {
    body.to_device = toDevice;
    if (registration.unstableEphemeral) body[UNSTABLE_TO_DEVICE] = toDevice;
  }
  if (deviceLists.size > 0) {
    const lists = { changed: [] as string[], left: [] as string[] };
    for (const [userId, change] of deviceLists) lists[change].push(userId);
    body[MSC3202_DEVICE_LISTS] = lists;
  }
  if (counts.size > 0) {
    const otks: Record<string, Record<string, JsonObject>> = {};
    const fallbacks: Record<string, Record<string, string[]>> = {};
    for (const c of counts.values()) {
      (otks[c.user_id] ??= {})[c.device_id] = c.one_time_keys_count;
      (fallbacks[c.user_id] ??= {})[c.device_id] = c.unused_fallback_key_types;
    }
    body[MSC3202_OTK_COUNTS] = otks;
    body[MSC3202_FALLBACK_KEYS] = fallbacks;
  }
  return body;
}
