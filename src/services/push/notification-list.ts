/**
 * GET /notifications (spec "Listing Notifications"): the events that notified the user, newest
 * first, across the rooms they are in, since they joined each. Each room is read backwards from
 * `from` only as far as the page needs, so a page costs rooms x limit rows at most, never the
 * whole history. `next_token` is the stream position the next page starts below.
 */
import type { JsonObject } from "../../core";
import type { Storage } from "../../storage";
import type { PushEventRow } from "../../storage/push-notifications";
import type { Requester } from "../accounts/access-tokens";
import type { ClientEvents } from "../rooms/client-events";
import { invalidParam } from "../matrix-error";
import { notificationFor, type UserNotification } from "./records";

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

interface Found {
  row: PushEventRow;
  notification: UserNotification;
}

export function createNotificationList(deps: { storage: Storage; clientEvents: ClientEvents }) {
  const { storage } = deps;

  /** Up to `limit` of the user's notifications in one room below `before`, newest first. */
  function inRoom(roomId: string, userId: string, joinedAt: number, before: number, limit: number, highlightOnly: boolean): Found[] {
    const found: Found[] = [];
    let cursor = before;
    while (found.length < limit) {
      const rows = storage.pushNotifications.roomEventsBefore(roomId, cursor, limit * 2);
      for (const row of rows) {
        if (row.stream_ordering <= joinedAt) return found;
        const notification = notificationFor(row, userId);
        if (notification && (!highlightOnly || notification.highlight)) found.push({ row, notification });
        if (found.length === limit) return found;
      }
      if (rows.length < limit * 2) return found;
      cursor = rows.at(-1)!.stream_ordering;
    }
    return found;
  }

  /** Whether the user read the event: its thread's read position is at or past it. */
  function isRead(row: PushEventRow, userId: string): boolean {
    let upTo = 0;
    for (const r of storage.receipts.readPositions(row.room_id, userId)) {
      if (r.thread_id === "" || r.thread_id === row.thread_id) upTo = Math.max(upTo, r.up_to);
    }
    for (const c of storage.pushNotifications.counts(row.room_id, userId)) {
      if (c.thread_id === row.thread_id) upTo = Math.max(upTo, c.read_stream);
    }
    return row.stream_ordering <= upTo;
  }

  return {
    list(requester: Requester, query: { from?: string; limit?: string; only?: string }): JsonObject {
      const userId = requester.userId;
      if (query.from !== undefined && !/^\d+$/.test(query.from)) throw invalidParam("from is not a token from an earlier next_token");
      const before = query.from === undefined ? Number.MAX_SAFE_INTEGER : Number(query.from);
      let limit = DEFAULT_LIMIT;
      if (query.limit !== undefined) {
        if (!/^\d+$/.test(query.limit) || Number(query.limit) < 1) throw invalidParam("limit must be a positive integer");
        limit = Math.min(Number(query.limit), MAX_LIMIT);
      }
      const highlightOnly = query.only === "highlight";

      const found: Found[] = [];
      for (const m of storage.memberships.forUser(userId)) {
        // One more than a page: a room that has it proves there is a next page.
        if (m.membership === "join") found.push(...inRoom(m.room_id, userId, m.stream_ordering, before, limit + 1, highlightOnly));
      }
      found.sort((a, b) => b.row.stream_ordering - a.row.stream_ordering);
      const page = found.slice(0, limit);
      const notifications: JsonObject[] = [];
      for (const { row, notification } of page) {
        const event = storage.events.get(row.event_id);
        if (!event) continue;
        notifications.push({
          actions: notification.actions,
          event: deps.clientEvents.format(event, requester, { omitRoomId: true }),
          read: isRead(row, userId),
          // Rules carry no profile tag since the spec dropped push profiles: null, as Synapse answers.
          profile_tag: null,
          room_id: row.room_id,
          ts: row.ts,
        });
      }
      const out: JsonObject = { notifications };
      if (found.length > limit) out.next_token = String(page.at(-1)!.row.stream_ordering);
      return out;
    },
  };
}
export type NotificationList = ReturnType<typeof createNotificationList>;
