/**
 * Unread notification and highlight counts (spec "Receiving notifications", "Marking
 * notifications as read"): /sync reads the stored counters as they are; a read receipt recounts
 * only what lies after its new position. A user has read a thread up to the furthest of their
 * unthreaded receipts, their receipt for that thread (`m.read` or `m.read.private`, whichever is
 * ahead) and their own last event in it; threaded receipts clear only their thread. When the
 * total changes, the user's pushers get the new badge count.
 */
import { MAIN_THREAD, type JsonObject } from "../../core";
import type { Storage } from "../../storage";
import type { PushCountRow } from "../../storage/push-notifications";
import type { ReceiptChange } from "../edus/receipts";
import type { PushersService } from "./pushers";
import { notificationFor } from "./records";

export interface SyncCounts {
  unread_notifications: { notification_count: number; highlight_count: number };
  /** With `unread_thread_notifications` in the filter: per thread root, threads with counts only. */
  unread_thread_notifications?: Record<string, { notification_count: number; highlight_count: number }>;
}

export function createUnreadCounts(deps: { serverName: string; storage: Storage; pushers: PushersService }) {
  const { storage } = deps;
  const localSuffix = `:${deps.serverName}`;

  /** How far receipts say the user read: unthreaded, and per thread. */
  function receiptPositions(roomId: string, userId: string): { unthreaded: number; thread: Map<string, number> } {
    let unthreaded = 0;
    const thread = new Map<string, number>();
    for (const { thread_id, up_to } of storage.receipts.readPositions(roomId, userId)) {
      if (thread_id === "") unthreaded = up_to;
      else thread.set(thread_id, up_to);
    }
    return { unthreaded, thread };
  }

  /** Recounts the given counters from what lies after the user's read position in each thread. */
  function recount(roomId: string, userId: string, rows: PushCountRow[]): void {
    const receipts = receiptPositions(roomId, userId);
    const membership = storage.memberships.get(roomId, userId);
    const joinedAt = membership?.membership === "join" ? membership.stream_ordering : 0;
    for (const row of rows) {
      const byReceipt = Math.max(receipts.unthreaded, receipts.thread.get(row.thread_id) ?? 0);
      const from = Math.max(byReceipt, row.read_stream, joinedAt);
      let notifications = 0;
      let highlights = 0;
      for (const event of storage.pushNotifications.threadEventsAfter(roomId, row.thread_id, from)) {
        const n = notificationFor(event, userId);
        if (!n) continue;
        notifications++;
        if (n.highlight) highlights++;
      }
      if (notifications === row.notifications && highlights === row.highlights) continue;
      // A row at zero is only kept while it remembers a read (by sending) that receipts do not cover.
      if (notifications === 0 && highlights === 0 && row.read_stream <= byReceipt) {
        storage.pushNotifications.deleteCounts(roomId, userId, row.thread_id);
      } else {
        storage.pushNotifications.setCounts(roomId, userId, row.thread_id, notifications, highlights);
      }
    }
  }

  const badge = (userId: string): JsonObject => ({ counts: { unread: storage.pushNotifications.unreadTotal(userId) }, prio: "low" });

  return {
    /** A receipt was stored: the user's counters it covers are recounted. */
    onReceipt(change: ReceiptChange): void {
      const { roomId, userId, threadId } = change;
      if (!userId.endsWith(localSuffix)) return;
      const rows = storage.pushNotifications.counts(roomId, userId).filter((r) => threadId === undefined || r.thread_id === threadId);
      if (rows.length === 0) return;
      const before = storage.pushNotifications.unreadTotal(userId);
      storage.transaction(() => {
        recount(roomId, userId, rows);
        if (storage.pushNotifications.unreadTotal(userId) !== before) deps.pushers.queue(userId, () => badge(userId), {});
      });
    },

    /** The counts /sync shows for a joined room: whole room, or main timeline plus each thread. */
    forSync(roomId: string, userId: string, perThread: boolean): SyncCounts {
      const main = { notification_count: 0, highlight_count: 0 };
      const threads: Record<string, { notification_count: number; highlight_count: number }> = {};
      let anyThread = false;
      for (const row of storage.pushNotifications.counts(roomId, userId)) {
        if (!perThread || row.thread_id === MAIN_THREAD) {
          main.notification_count += row.notifications;
          main.highlight_count += row.highlights;
        } else if (row.notifications > 0 || row.highlights > 0) {
          threads[row.thread_id] = { notification_count: row.notifications, highlight_count: row.highlights };
          anyThread = true;
        }
      }
      return anyThread ? { unread_notifications: main, unread_thread_notifications: threads } : { unread_notifications: main };
    },
  };
}
export type UnreadCounts = ReturnType<typeof createUnreadCounts>;
