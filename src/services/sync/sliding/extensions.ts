/**
 * Sliding sync extensions (MSC3885 to-device, MSC3884 e2ee, MSC3959 account data, MSC3960
 * receipts, MSC3961 typing), read from the same stream providers as `/sync`
 * (`sync/streams/`): to-device from its own `since`, the others from the connection's previous
 * position, and the per-room ones only for the rooms the extension's `lists` and `rooms` name.
 */
import type { JsonObject } from "../../../core/types";
import { invalidParam } from "../../matrix-error";
import type { SyncRequest, SyncStream } from "../streams/stream";
import type { ExtensionScope, SlidingRequest } from "./request";

export interface ExtensionInput {
  req: SyncRequest;
  /** Each stream's position in the previous response and now, by stream key. */
  since(key: string): number | undefined;
  to(key: string): number;
  /** The rooms of each list's window, and the subscribed rooms the user may see. */
  windows: ReadonlyMap<string, readonly string[]>;
  subscribed: readonly string[];
  /** Rooms the user is joined to (receipts and typing are theirs only). */
  joined: (roomId: string) => boolean;
  /** Rooms sent `initial` in this response: they get every receipt, not just new ones. */
  initial: ReadonlySet<string>;
}

function roomsInScope(scope: ExtensionScope, input: ExtensionInput): string[] {
  const out = new Set<string>();
  for (const name of scope.lists ?? input.windows.keys()) for (const roomId of input.windows.get(name) ?? []) out.add(roomId);
  const named = scope.rooms;
  if (named === undefined || named.includes("*")) for (const roomId of input.subscribed) out.add(roomId);
  if (named) for (const roomId of named) if (roomId !== "*" && input.subscribed.includes(roomId)) out.add(roomId);
  return [...out];
}

export function createExtensions(streams: ReadonlyMap<string, SyncStream>) {
  const stream = (key: string): SyncStream => {
    const s = streams.get(key);
    if (!s) throw new Error(`no ${key} stream`);
    return s;
  };

  /** One ephemeral stream (receipts, typing) over the rooms in scope: `rooms` of events. */
  function ephemeral(key: string, scope: ExtensionScope, input: ExtensionInput): JsonObject {
    const section = stream(key).section(input.req, input.since(key), input.to(key));
    const rooms: JsonObject = {};
    for (const roomId of roomsInScope(scope, input)) {
      if (!input.joined(roomId)) continue;
      const event = section.inRoom?.(roomId, input.initial.has(roomId))?.ephemeral?.[0];
      if (event) rooms[roomId] = event;
    }
    return rooms;
  }

  return {
    compute(request: SlidingRequest, input: ExtensionInput): { extensions: JsonObject; news: boolean } {
      const ext = request.extensions;
      const out: JsonObject = {};
      let news = false;
      if (ext.toDevice) {
        const raw = ext.toDevice.since;
        if (raw !== undefined && !/^\d{1,15}$/.test(raw)) throw invalidParam("extensions.to_device.since is not a to-device position of this server");
        const to = input.to("to_device");
        const section = stream("to_device").section(input.req, raw === undefined ? undefined : Number(raw), to);
        const events = ((section.fields?.to_device as JsonObject | undefined)?.events as JsonObject[] | undefined) ?? [];
        out.to_device = { next_batch: String(section.resumeAt ?? to), events };
        news ||= events.length > 0;
      }
      if (ext.e2ee) {
        const section = stream("device_lists").section(input.req, input.since("device_lists"), input.to("device_lists"));
        out.e2ee = section.fields ?? {};
        news ||= section.news;
      }
      if (ext.accountData) {
        const section = stream("account_data").section(input.req, input.since("account_data"), input.to("account_data"));
        const global = ((section.fields?.account_data as JsonObject | undefined)?.events as JsonObject[] | undefined) ?? [];
        const rooms: JsonObject = {};
        for (const roomId of roomsInScope(ext.accountData, input)) {
          const events = section.inRoom?.(roomId, input.initial.has(roomId))?.accountData;
          if (events && events.length > 0) rooms[roomId] = events;
        }
        out.account_data = { global, rooms };
        news ||= global.length > 0 || Object.keys(rooms).length > 0;
      }
      if (ext.receipts) {
        const rooms = ephemeral("receipts", ext.receipts, input);
        out.receipts = { rooms };
        news ||= Object.keys(rooms).length > 0;
      }
      if (ext.typing) {
        const rooms = ephemeral("typing", ext.typing, input);
        out.typing = { rooms };
        news ||= Object.keys(rooms).length > 0;
      }
      return { extensions: out, news };
    },
  };
}
export type Extensions = ReturnType<typeof createExtensions>;
