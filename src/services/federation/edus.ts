/**
 * Ephemeral events between servers: our users' typing (both starts and stops, including expiry),
 * read receipts and presence go to the servers that share the room (or, for presence, a room)
 * with them; the same EDUs from other servers update what our clients see. An EDU about a user of
 * another server than its sender, about a room we do not hold, or from a server the room's ACL
 * bars, is ignored.
 */
import { isJsonObject, type JsonObject } from "../../core";
import type { Storage } from "../../storage";
import type { NewPresence, PresenceState } from "../../storage/presence";
import type { Clock } from "../../runtime/clock";
import type { PresenceService } from "../edus/presence";
import type { ReceiptsService } from "../edus/receipts";
import type { TypingService } from "../edus/typing";
import type { OutboundQueue } from "./outbound/queue";
import type { TransactionReceiver } from "./inbound/transactions";
import { serverOf, type RoomView } from "./room-view";

const PRESENCE_STATES = new Set(["online", "unavailable", "offline"]);

export function connectEdus(deps: {
  serverName: string;
  storage: Storage;
  clock: Clock;
  view: RoomView;
  sender: OutboundQueue;
  transactions: TransactionReceiver;
  typing: TypingService;
  receipts: ReceiptsService;
  presence: PresenceService;
}): void {
  const { serverName, storage, view, sender, transactions } = deps;
  const isLocal = (userId: string) => serverOf(userId) === serverName;
  const joined = (roomId: string, userId: string) => storage.memberships.get(roomId, userId)?.membership === "join";
  /** A room event about `userId` from `origin` is believable only for its own users, in rooms it may use. */
  const acceptable = (origin: string, roomId: string, userId: string) =>
    serverOf(userId) === origin && view.rules(roomId) !== null && view.serverAllowed(roomId, origin) && joined(roomId, userId);

  // ---- outbound --------------------------------------------------------------------------------
  deps.typing.onChange(({ roomId, userId, typing }) => {
    if (!isLocal(userId)) return;
    sender.queueEdu(view.joinedServers(roomId), { edu_type: "m.typing", content: { room_id: roomId, user_id: userId, typing } });
  });

  deps.receipts.onChange(({ roomId, userId, receiptType, eventId, threadId, ts }) => {
    // Private receipts stay on this server.
    if (!isLocal(userId) || receiptType !== "m.read") return;
    const data: JsonObject = { ts };
    if (threadId !== undefined) data.thread_id = threadId;
    const content = { [roomId]: { "m.read": { [userId]: { event_ids: [eventId], data } } } };
    sender.queueEdu(view.joinedServers(roomId), { edu_type: "m.receipt", content });
  });

  deps.presence.onChange((row: NewPresence) => {
    if (!isLocal(row.user_id)) return;
    const servers = new Set<string>();
    for (const m of storage.memberships.forUser(row.user_id)) {
      if (m.membership === "join") for (const s of view.joinedServers(m.room_id)) servers.add(s);
    }
    const push: JsonObject = {
      user_id: row.user_id,
      presence: row.state,
      last_active_ago: Math.max(0, deps.clock.now() - row.last_active_ts),
      currently_active: row.currently_active === 1,
    };
    if (row.status_msg !== null) push.status_msg = row.status_msg;
    sender.queueEdu(servers, { edu_type: "m.presence", content: { push: [push] } });
  });

  // ---- inbound ---------------------------------------------------------------------------------
  transactions.onEdu("m.typing", (origin, content) => {
    const { room_id, user_id, typing } = content;
    if (typeof room_id !== "string" || typeof user_id !== "string" || typeof typing !== "boolean") return;
    if (acceptable(origin, room_id, user_id)) deps.typing.applyRemote(room_id, user_id, typing);
  });

  transactions.onEdu("m.receipt", (origin, content) => {
    for (const [roomId, byType] of Object.entries(content)) {
      const read = isJsonObject(byType) ? byType["m.read"] : undefined;
      if (!isJsonObject(read)) continue;
      for (const [userId, receipt] of Object.entries(read)) {
        if (!isJsonObject(receipt) || !Array.isArray(receipt.event_ids) || !acceptable(origin, roomId, userId)) continue;
        const data = isJsonObject(receipt.data) ? receipt.data : {};
        const ts = typeof data.ts === "number" ? data.ts : deps.clock.now();
        const threadId = typeof data.thread_id === "string" ? data.thread_id : undefined;
        for (const eventId of receipt.event_ids) {
          // An event we do not hold cannot carry a receipt here.
          if (typeof eventId === "string" && storage.events.get(eventId)?.room_id === roomId) {
            deps.receipts.applyRemote(roomId, userId, eventId, threadId, ts);
          }
        }
      }
    }
  });

  transactions.onEdu("m.presence", (origin, content) => {
    if (!Array.isArray(content.push)) return;
    for (const update of content.push) {
      if (!isJsonObject(update) || typeof update.user_id !== "string" || serverOf(update.user_id) !== origin) continue;
      if (typeof update.presence !== "string" || !PRESENCE_STATES.has(update.presence)) continue;
      // Only users who share a room with one of ours are anyone's business here.
      const sharesRoom = storage.memberships
        .forUser(update.user_id)
        .some((m) => m.membership === "join" && storage.memberships.usersWith(m.room_id, "join").some(isLocal));
      if (!sharesRoom) continue;
      const statusMsg = typeof update.status_msg === "string" ? update.status_msg : null;
      deps.presence.applyRemote(update.user_id, update.presence as PresenceState, statusMsg, update.currently_active === true);
    }
  });
}
