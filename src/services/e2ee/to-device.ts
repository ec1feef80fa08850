/**
 * Send-to-device messaging (spec "Send-to-Device messaging", server-server m.direct_to_device):
 * messages for local devices wait in their inbox and come out in `/sync` in arrival order, at
 * most 100 at a time; they are deleted only once the device syncs with a token past them, so a
 * client that crashed before processing a batch gets it again. Messages for other servers' users
 * leave as m.direct_to_device EDUs through the durable federation queue. A retried request (same
 * device, event type and transaction id) sends nothing twice.
 */
import { randomBytes } from "node:crypto";
import { ALL_DEVICES, checkToDeviceMessages, isJsonObject, isValidUserId, type Edu, type JsonObject, type ToDeviceMessage } from "../../core";
import type { Storage } from "../../storage";
import type { NewToDeviceMessage, ToDeviceRow } from "../../storage/to-device";
import type { Requester } from "../accounts/access-tokens";
import type { Clock } from "../../runtime/clock";
import { serverOf } from "../federation/room-view";
import { badJson, forbidden, invalidParam } from "../matrix-error";
import { checked } from "./device-keys";

/** Messages per `/sync` response (the spec's recommendation). */
export const TO_DEVICE_BATCH = 100;
/** An m.direct_to_device EDU stays below this many bytes of messages; more make another EDU. */
const MAX_EDU_MESSAGE_BYTES = 60_000;
/** How long inbound message ids are remembered against resends. */
const INBOUND_MEMORY_MS = 24 * 60 * 60_000;
const PRUNE_EVERY_MS = 60 * 60_000;

export type ToDeviceEvent = {
  sender: string;
  type: string;
  content: JsonObject;
};

export interface ToDeviceDeps {
  serverName: string;
  storage: Storage;
  clock: Clock;
  wakeUsers(userIds: Iterable<string>): void;
  queueEdu(destinations: Iterable<string>, edu: Edu): void;
}

const asEvent = (r: ToDeviceRow): ToDeviceEvent => ({ sender: r.sender, type: r.type, content: JSON.parse(r.content) as JsonObject });

export function createToDevice(deps: ToDeviceDeps) {
  const { serverName, storage } = deps;
  let lastPrune = 0;
  const deliveryListeners = new Set<(rows: readonly NewToDeviceMessage[]) => void>();

  /** Inbox rows for local recipients: `*` means every device; unknown devices get nothing. */
  function localRows(sender: string, type: string, messages: readonly ToDeviceMessage[]): NewToDeviceMessage[] {
    const rows: NewToDeviceMessage[] = [];
    for (const m of messages) {
      const content = JSON.stringify(m.content);
      const devices =
        m.deviceId === ALL_DEVICES
          ? storage.accounts.getDevices(m.userId).map((d) => d.device_id)
          : storage.accounts.getDevice(m.userId, m.deviceId)
            ? [m.deviceId]
            : [];
      for (const deviceId of devices) rows.push({ userId: m.userId, deviceId, sender, type, content });
    }
    return rows;
  }

  /** Queues the messages for other servers, one or more EDUs per server. */
  function queueRemote(sender: string, type: string, messages: readonly ToDeviceMessage[]): void {
    const byServer = new Map<string, ToDeviceMessage[]>();
    for (const m of messages) {
      const server = serverOf(m.userId);
      byServer.set(server, [...(byServer.get(server) ?? []), m]);
    }
    for (const [server, list] of byServer) {
      let batch: Record<string, Record<string, JsonObject>> = {};
      let bytes = 0;
      const flush = () => {
        if (bytes === 0) return;
        deps.queueEdu([server], {
          edu_type: "m.direct_to_device",
          content: { sender, type, message_id: randomBytes(16).toString("base64url"), messages: batch },
        });
        batch = {};
        bytes = 0;
      };
      for (const m of list) {
        const size = JSON.stringify(m.content).length + m.userId.length + m.deviceId.length + 8;
        if (bytes > 0 && bytes + size > MAX_EDU_MESSAGE_BYTES) flush();
        (batch[m.userId] ??= {})[m.deviceId] = m.content;
        bytes += size;
      }
      flush();
    }
  }

  function deliverLocal(rows: readonly NewToDeviceMessage[]): void {
    storage.toDevice.enqueue(rows);
    deps.wakeUsers(new Set(rows.map((r) => r.userId)));
    for (const listener of deliveryListeners) listener(rows);
  }

  return {
    /** `PUT /sendToDevice/{eventType}/{txnId}`. */
    send(requester: Requester, type: string, txnId: string, body: unknown): void {
      if (!isJsonObject(body)) throw badJson("The body must be a JSON object");
      const messages = checked(checkToDeviceMessages(body.messages));
      const endpoint = `sendToDevice/${type}`;
      if (storage.txnIds.eventFor(requester.userId, requester.deviceId, endpoint, txnId) !== null) return;
      const local = messages.filter((m) => serverOf(m.userId) === serverName);
      const remote = messages.filter((m) => serverOf(m.userId) !== serverName);
      storage.transaction(() => {
        deliverLocal(localRows(requester.userId, type, local));
        queueRemote(requester.userId, type, remote);
        // A to-device transaction produces no event: the id is recorded with an empty event id.
        storage.txnIds.insert(requester.userId, requester.deviceId, endpoint, txnId, "", deps.clock.now());
      });
    },

    /**
     * The device's `to_device` section: the messages after `since` (acknowledging those up to it)
     * up to `to`, at most a batch, and the position the next token carries (the last message
     * returned when the batch is full, so the rest follow at once).
     */
    syncSection(userId: string, deviceId: string, since: number | undefined, to: number): { events: ToDeviceEvent[]; position: number } {
      // Most syncs find the inbox empty: one read, and no write.
      const oldest = storage.toDevice.oldest(userId, deviceId);
      if (oldest === null) return { events: [], position: to };
      if (since !== undefined && oldest <= since) storage.toDevice.acknowledge(userId, deviceId, since);
      const rows = storage.toDevice.pending(userId, deviceId, since ?? 0, to, TO_DEVICE_BATCH);
      const position = rows.length === TO_DEVICE_BATCH ? rows[rows.length - 1]!.stream_id : to;
      return { events: rows.map(asEvent), position };
    },

    /**
     * MSC3814 `dehydrated_device/{deviceId}/events`: the dehydrated device's messages after
     * `from`, a batch at a time, without deleting any (a rehydration that fails can start over);
     * `next_batch` only while more remain.
     */
    dehydratedEvents(userId: string, deviceId: string, from: unknown): { events: ToDeviceEvent[]; next_batch?: string } {
      if (storage.e2eeKeys.getDehydratedDevice(userId)?.device_id !== deviceId) {
        throw forbidden(`${deviceId} is not your dehydrated device`);
      }
      let after = 0;
      if (from !== undefined && from !== null) {
        if (typeof from !== "string" || !/^\d{1,15}$/.test(from)) throw invalidParam("next_batch: not a token of this server");
        after = Number(from);
      }
      const rows = storage.toDevice.pending(userId, deviceId, after, storage.toDevice.position(), TO_DEVICE_BATCH + 1);
      const more = rows.length > TO_DEVICE_BATCH;
      const batch = more ? rows.slice(0, TO_DEVICE_BATCH) : rows;
      const out: { events: ToDeviceEvent[]; next_batch?: string } = { events: batch.map(asEvent) };
      if (more) out.next_batch = String(batch[batch.length - 1]!.stream_id);
      return out;
    },

    /** An m.direct_to_device EDU from `origin`: delivered once, and only if its sender is theirs. */
    onDirectToDevice(origin: string, content: JsonObject): void {
      const { sender, type, message_id: messageId } = content;
      if (typeof sender !== "string" || !isValidUserId(sender) || serverOf(sender) !== origin) return;
      if (typeof type !== "string" || typeof messageId !== "string") return;
      const messages = checkToDeviceMessages(content.messages);
      if (!messages.ok) return;
      const now = deps.clock.now();
      storage.transaction(() => {
        if (now - lastPrune > PRUNE_EVERY_MS) {
          lastPrune = now;
          storage.toDevice.forgetInboundBefore(now - INBOUND_MEMORY_MS);
        }
        if (!storage.toDevice.rememberInbound(origin, messageId, now)) return;
        deliverLocal(localRows(sender, type, messages.value.filter((m) => serverOf(m.userId) === serverName)));
      });
    },

    position: () => storage.toDevice.position(),

    /** Told of every message put in a local inbox, inside the delivering transaction (appservices, MSC4203). */
    onLocalDelivery(listener: (rows: readonly NewToDeviceMessage[]) => void): () => void {
      deliveryListeners.add(listener);
      return () => deliveryListeners.delete(listener);
    },
  };
}
export type ToDevice = ReturnType<typeof createToDevice>;
