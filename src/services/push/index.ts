/**
 * Wires the push area (spec "Push Notifications"): push rules and their management, pushers,
 * evaluation of every timeline event in its persisting transaction, unread counters kept by
 * events and receipts, and GET /notifications. Pushes are delivered by the push sender worker
 * (`delivery`); without it they are queued and wait.
 */
import type { Accounts } from "../accounts";
import type { Edus } from "../edus";
import type { Rooms } from "../rooms";
import type { SharedDeps } from "../shared-deps";
import type { PushDelivery } from "./delivery";
import { createEventNotifications } from "./event-notifications";
import { createNotificationList } from "./notification-list";
import { createPushersService } from "./pushers";
import { createPushRulesService } from "./rules";
import { createUnreadCounts } from "./unread-counts";

export interface PushDeps extends Pick<SharedDeps, "config" | "storage" | "clock" | "log" | "notifier"> {
  accounts: Accounts;
  rooms: Rooms;
  edus: Edus;
  delivery?: PushDelivery;
}

/** Queues pushes but never delivers them: for services built without the worker (tests, tools). */
const undelivered: PushDelivery = { wakeLater: () => {}, onPusherRemoved: () => () => {} };

export function buildPush(deps: PushDeps) {
  const { config, storage, clock, log, notifier, rooms } = deps;
  const serverName = config.server_name;
  const rules = createPushRulesService({ storage, notifier });
  const pushers = createPushersService({ storage, clock, delivery: deps.delivery ?? undelivered });
  const events = createEventNotifications({ serverName, storage, state: rooms.state, eventStore: rooms.eventStore, rules, pushers, clock });
  const unread = createUnreadCounts({ serverName, storage, pushers });

  rooms.persister.onTimelineEvent((event) => {
    // In a savepoint of the event's own transaction: a failure here loses a notification, never the event.
    try {
      storage.transaction(() => events.onTimelineEvent(event));
    } catch (e) {
      log.error("push evaluation failed", { event_id: event.pdu.event_id, room_id: event.head.roomId, error: e });
    }
  });
  deps.edus.receipts.onChange((change) => unread.onReceipt(change));
  deps.accounts.events.subscribe((event) => {
    if (event.type === "deactivated") rules.forget(event.userId);
  });

  return {
    rules,
    pushers,
    unread,
    notifications: createNotificationList({ storage, clientEvents: rooms.clientEvents }),
  };
}
export type Push = ReturnType<typeof buildPush>;
