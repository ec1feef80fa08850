/**
 * What each application service is sent (spec "Pushing events", MSC2409): every timeline event
 * it is interested in (its users sent it or are its membership's target, or the room is in its
 * namespaces by id, alias or a joined local user), queued inside the event's own transaction;
 * and, when its registration asks for them, typing, receipts (private ones only of its own users)
 * and presence of users it shares a room with. Encrypted bridges (`org.matrix.msc3202: true`) also
 * get the to-device messages of their users (MSC4203), the device-list changes of users sharing a
 * room with their users, and who stopped sharing one (MSC3202), and their users' one-time and
 * fallback key counts. Appservices without a URL receive nothing. Each item goes to the durable
 * per-appservice queue, and the sender worker is woken after the commit.
 */
import {
  isInterestedInEvent,
  isInterestedInRoom,
  isInterestedInUser,
  receiptsForAppservice,
  wantsEphemeral,
  type Appservice,
  type AppserviceItemKind,
  type JsonObject,
  type RoomFacts,
} from "../../core";
import type { NewPresence } from "../../storage/presence";
import type { NewToDeviceMessage } from "../../storage/to-device";
import type { E2ee } from "../e2ee";
import type { Edus } from "../edus";
import type { TypingChange } from "../edus/typing";
import type { ReceiptChange } from "../edus/receipts";
import type { Rooms } from "../rooms";
import type { TimelineEvent } from "../rooms/persister";
import type { SharedDeps } from "../shared-deps";
import type { AppserviceDelivery } from "./delivery";

export interface OutboxDeps extends Pick<SharedDeps, "config" | "storage" | "clock" | "log" | "appserviceRegistry"> {
  rooms: Pick<Rooms, "persister" | "clientEvents" | "members">;
  edus: Edus;
  e2ee: Pick<E2ee, "toDevice" | "changes" | "deviceKeys">;
  delivery: AppserviceDelivery;
}

export function createAppserviceOutbox(deps: OutboxDeps) {
  const { storage, clock, appserviceRegistry: registry, delivery } = deps;
  const localSuffix = `:${deps.config.server_name}`;

  /** Appservices that receive anything at all. */
  const reachable = (): Appservice[] => registry.all().filter((as) => as.registration.url !== null);

  function facts(roomId: string, joined?: Iterable<string>): RoomFacts {
    return {
      aliases: () => storage.aliases.forRoom(roomId),
      localMembers: function* () {
        for (const userId of joined ?? deps.rooms.members.joinedMembers(roomId)) if (userId.endsWith(localSuffix)) yield userId;
      },
    };
  }

  function enqueue(targets: readonly Appservice[], kind: AppserviceItemKind, payload: (as: Appservice) => JsonObject | null): void {
    const woken: string[] = [];
    const now = clock.now();
    for (const as of targets) {
      const value = payload(as);
      if (value === null) continue;
      storage.appserviceQueue.enqueue(as.registration.id, kind, JSON.stringify(value), now);
      woken.push(as.registration.id);
    }
    if (woken.length > 0) delivery.wakeLater(woken);
  }

  /** Appservices of encrypted bridges (MSC3202's opt-in). */
  const encrypted = (): Appservice[] => reachable().filter((as) => as.registration.deviceData);

  /** Whether the user is the appservice's, or shares a room with one of its users. */
  function inCompany(as: Appservice, userId: string): boolean {
    if (isInterestedInUser(as, userId)) return true;
    for (const other of deps.rooms.members.usersSharingRooms(userId)) if (isInterestedInUser(as, other)) return true;
    return false;
  }

  /**
   * MSC3202's device lists follow memberships as /sync's do: who joins a room with the
   * appservice's users is new company (`changed`, everyone there when it is one of its users);
   * who leaves it and shares no room with them any more is `left` (everyone there when it was one
   * of its users).
   */
  function onMembership({ pdu, head, joinedBefore }: TimelineEvent): void {
    const target = pdu.state_key!;
    const membership = pdu.content.membership;
    const joined = membership === "join" && !joinedBefore.has(target);
    const gone = (membership === "leave" || membership === "ban") && joinedBefore.has(target);
    if (!joined && !gone) return;
    const enqueueEach = (as: Appservice, userIds: Iterable<string>, change: "changed" | "left") => {
      for (const userId of userIds) enqueue([as], "device_list", () => ({ user_id: userId, change }));
    };
    for (const as of encrypted()) {
      if (isInterestedInUser(as, target)) {
        const others = [...(joined ? head.joined : joinedBefore)].filter((u) => u !== target);
        if (joined) enqueueEach(as, others, "changed");
        else enqueueEach(as, others.filter((u) => !inCompany(as, u)), "left");
      } else if ([...head.joined, ...joinedBefore].some((u) => isInterestedInUser(as, u))) {
        if (joined) enqueueEach(as, [target], "changed");
        else if (!inCompany(as, target)) enqueueEach(as, [target], "left");
      }
    }
  }

  /** Inside the persisting transaction: the event joins the queue of every interested appservice. */
  function onTimelineEvent(event: TimelineEvent): void {
    const { pdu, head } = event;
    if (pdu.type === "m.room.member" && typeof pdu.state_key === "string") onMembership(event);
    const room = facts(pdu.room_id, head.joined);
    const targets = reachable().filter((as) => isInterestedInEvent(as, pdu, room));
    if (targets.length === 0) return;
    const row = storage.events.get(pdu.event_id);
    if (!row) return;
    const formatted = deps.rooms.clientEvents.format(row, undefined);
    enqueue(targets, "event", () => formatted);
  }

  /** Appservices that asked for ephemeral data and are interested in the room. */
  function ephemeralTargets(roomId: string): Appservice[] {
    const room = facts(roomId);
    return reachable().filter((as) => wantsEphemeral(as.registration) && isInterestedInRoom(as, roomId, room));
  }

  function onTyping({ roomId }: TypingChange): void {
    const targets = ephemeralTargets(roomId);
    if (targets.length === 0) return;
    const event = { type: "m.typing", room_id: roomId, content: { user_ids: deps.edus.typing.typingUsers(roomId) } };
    enqueue(targets, "ephemeral", () => event);
  }

  function onReceipt(change: ReceiptChange): void {
    const targets = ephemeralTargets(change.roomId);
    if (targets.length === 0) return;
    const receipt = change.threadId === undefined ? { ts: change.ts } : { ts: change.ts, thread_id: change.threadId };
    const content = { [change.eventId]: { [change.receiptType]: { [change.userId]: receipt } } };
    enqueue(targets, "ephemeral", (as) => {
      const visible = receiptsForAppservice(as, content);
      return visible === null ? null : { type: "m.receipt", room_id: change.roomId, content: visible as JsonObject };
    });
  }

  /** MSC2409: a user's presence goes to appservices of that user or sharing a room with them. */
  function onPresence(row: NewPresence): void {
    const candidates = reachable().filter((as) => wantsEphemeral(as.registration));
    if (candidates.length === 0) return;
    const sharing = deps.rooms.members.usersSharingRooms(row.user_id);
    const targets = candidates.filter((as) => isInterestedInUser(as, row.user_id) || [...sharing].some((u) => isInterestedInUser(as, u)));
    if (targets.length === 0) return;
    const event = deps.edus.presence.event({ ...row, stream_id: 0 });
    enqueue(targets, "ephemeral", () => event);
  }

  /** MSC4203: each message for a device of the appservice's users, naming its recipient. */
  function onToDevice(rows: readonly NewToDeviceMessage[]): void {
    const targets = encrypted();
    if (targets.length === 0) return;
    for (const row of rows) {
      const message = { type: row.type, sender: row.sender, content: JSON.parse(row.content) as JsonObject, to_user_id: row.userId, to_device_id: row.deviceId };
      enqueue(targets, "to_device", (as) => (isInterestedInUser(as, row.userId) ? message : null));
    }
  }

  function onDeviceListChange(userId: string): void {
    enqueue(encrypted(), "device_list", (as) => (inCompany(as, userId) ? { user_id: userId, change: "changed" } : null));
  }

  function onKeyCounts(userId: string, deviceId: string): void {
    const targets = encrypted().filter((as) => isInterestedInUser(as, userId));
    if (targets.length === 0) return;
    const counts = deps.e2ee.deviceKeys.syncCounts(userId, deviceId);
    const item = {
      user_id: userId,
      device_id: deviceId,
      one_time_keys_count: counts.device_one_time_keys_count,
      unused_fallback_key_types: counts.device_unused_fallback_key_types,
    };
    enqueue(targets, "key_counts", () => item);
  }

  return {
    /** Subscribes to the areas whose changes appservices are sent. */
    follow(): void {
      deps.rooms.persister.onTimelineEvent((event) => {
        // A savepoint: a failure here loses the appservice's copy, never the event.
        try {
          storage.transaction(() => onTimelineEvent(event));
        } catch (e) {
          deps.log.error("queueing for appservices failed", { event_id: event.pdu.event_id, error: e });
        }
      });
      deps.edus.typing.onChange(onTyping);
      deps.edus.receipts.onChange(onReceipt);
      deps.edus.presence.onChange(onPresence);
      deps.e2ee.toDevice.onLocalDelivery(onToDevice);
      deps.e2ee.changes.onChange(onDeviceListChange);
      deps.e2ee.deviceKeys.onKeyCountsChange(onKeyCounts);
    },
  };
}
