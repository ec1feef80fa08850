/**
 * Receipts and read markers (spec "Receipts", "Read and unread markers"): `m.read` is shown to the
 * room, `m.read.private` only to its sender, `m.fully_read` is the read marker kept as room account
 * data. Receipts are durable rows in the receipts stream; each one wakes whoever may see it, and is
 * told to listeners (the federation sender relays `m.read`, never `m.read.private`).
 */
import type { JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { ReceiptRow } from "../../storage/receipts";
import { jsonObject, type AccountDataService } from "../accounts/account-data";
import type { Requester } from "../accounts/access-tokens";
import type { Clock } from "../../runtime/clock";
import { forbidden, invalidParam, notFound } from "../matrix-error";
import type { MembershipView } from "../rooms/membership-view";
import type { Notifier } from "../sync/notifier";

export type ReceiptType = "m.read" | "m.read.private";

export interface ReceiptChange {
  roomId: string;
  userId: string;
  receiptType: ReceiptType;
  eventId: string;
  /** Undefined for an unthreaded receipt; `main` or a thread root's event id otherwise. */
  threadId: string | undefined;
  ts: number;
}

const receiptTypes = new Set(["m.read", "m.read.private", "m.fully_read"]);

export interface ReadMarkers {
  "m.fully_read"?: string;
  "m.read"?: string;
  "m.read.private"?: string;
}

export function createReceiptsService(deps: {
  storage: Storage;
  members: MembershipView;
  notifier: Notifier;
  clock: Clock;
  accountData: AccountDataService;
}) {
  const { storage, members, notifier, clock, accountData } = deps;
  const listeners = new Set<(change: ReceiptChange) => void>();

  /** The receipted event's stream position; it must be an event of this room. */
  function eventStream(roomId: string, eventId: string): number {
    const event = storage.events.get(eventId);
    if (!event || event.room_id !== roomId) throw notFound(`Event ${eventId} not found in ${roomId}`);
    return event.stream_ordering;
  }

  function joined(requester: Requester, roomId: string): void {
    if (!members.isJoined(roomId, requester.userId)) throw forbidden("You are not joined to this room");
  }

  function putReceipt(userId: string, roomId: string, receiptType: ReceiptType, eventId: string, threadId: string | undefined, ts = clock.now()): void {
    const stored = storage.receipts.putReceipt({
      room_id: roomId,
      receipt_type: receiptType,
      user_id: userId,
      thread_id: threadId ?? "",
      event_id: eventId,
      event_stream: eventStream(roomId, eventId),
      ts,
    });
    if (stored === undefined) return;
    notifier.wakeUsers(receiptType === "m.read" ? members.joinedMembers(roomId) : [userId]);
    for (const listener of listeners) listener({ roomId, userId, receiptType, eventId, threadId, ts });
  }

  function setFullyRead(userId: string, roomId: string, eventId: string): void {
    eventStream(roomId, eventId);
    accountData.setFullyRead(userId, roomId, eventId);
  }

  return {
    /** POST /rooms/{roomId}/receipt/{receiptType}/{eventId} */
    postReceipt(requester: Requester, roomId: string, receiptType: string, eventId: string, raw: unknown): void {
      const body = jsonObject(raw, "Receipt body");
      if (!receiptTypes.has(receiptType)) throw invalidParam(`Unknown receipt type ${receiptType}`);
      const threadId = body.thread_id;
      if (threadId !== undefined && (typeof threadId !== "string" || threadId === "")) {
        throw invalidParam("thread_id field must be a non-empty string");
      }
      if (threadId !== undefined && receiptType === "m.fully_read") {
        throw invalidParam("thread_id is not allowed for m.fully_read");
      }
      joined(requester, roomId);
      if (receiptType === "m.fully_read") setFullyRead(requester.userId, roomId, eventId);
      else putReceipt(requester.userId, roomId, receiptType as ReceiptType, eventId, threadId);
    },

    /** POST /rooms/{roomId}/read_markers: each present marker as if sent on its own. */
    postReadMarkers(requester: Requester, roomId: string, markers: ReadMarkers): void {
      joined(requester, roomId);
      if (markers["m.fully_read"] !== undefined) setFullyRead(requester.userId, roomId, markers["m.fully_read"]);
      for (const type of ["m.read", "m.read.private"] as const) {
        const eventId = markers[type];
        if (eventId !== undefined) putReceipt(requester.userId, roomId, type, eventId, undefined);
      }
    },

    /** An `m.read` receipt from another server, for one of its users, at the time it states. */
    applyRemote(roomId: string, userId: string, eventId: string, threadId: string | undefined, ts: number): void {
      putReceipt(userId, roomId, "m.read", eventId, threadId, ts);
    },

    /** Subscribes to every stored receipt; returns the unsubscribe function. */
    onChange(listener: (change: ReceiptChange) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** Receipts written in (from, to]. */
    changedSince(from: number, to: number): ReceiptRow[] {
      return storage.receipts.receiptsSince(from, to);
    },

    inRoom(roomId: string, to: number): ReceiptRow[] {
      return storage.receipts.receiptsInRoom(roomId, to);
    },

    position: () => storage.receipts.position(),
  };
}
export type ReceiptsService = ReturnType<typeof createReceiptsService>;

/**
 * Builds a room's `m.receipt` event from rows, as `viewer` may see them (private receipts only
 * their own). Returns undefined when nothing is left.
 */
export function receiptEvent(rows: readonly ReceiptRow[], viewer: string): JsonObject | undefined {
  const content: Record<string, Record<string, Record<string, JsonObject>>> = {};
  let any = false;
  for (const r of rows) {
    if (r.receipt_type === "m.read.private" && r.user_id !== viewer) continue;
    const byType = (content[r.event_id] ??= {});
    const byUser = (byType[r.receipt_type] ??= {});
    byUser[r.user_id] = r.thread_id === "" ? { ts: r.ts } : { ts: r.ts, thread_id: r.thread_id };
    any = true;
  }
  return any ? { type: "m.receipt", content } : undefined;
}
