/**
 * Wires the push area (spec "Push Notifications"): push rules and their management, pushers,
 * evaluation of every timeline event in its persisting transaction, unread counters kept by
 * events and receipts, and GET /notifications. Pushes are delivered by the push sender worker
 * (`delivery`); without it they are queued and wait.
 */
import type { JsonObject, Pdu } from "../../core";
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

  /**
   * Runs `work` in a savepoint of the event's own transaction: a failure there loses a
   * notification, never the event.
   */
  function guarded(pdu: Pdu & { event_id: string }, work: () => void): void {
    try {
      storage.transaction(work);
    } catch (e) {
      log.error("push evaluation failed", { event_id: pdu.event_id, room_id: pdu.room_id, error: e });
    }
  }
  rooms.persister.onTimelineEvent((event) => guarded(event.pdu, () => events.onTimelineEvent(event)));
  deps.edus.receipts.onChange((change) => unread.onReceipt(change));
  deps.accounts.events.subscribe((event) => {
    if (event.type === "deactivated") rules.forget(event.userId);
  });

  return {
    rules,
    pushers,
    /** What events do for local users (timeline events come through the persister by themselves). */
    events: {
      onOutOfRoomInvite: (pdu: Pdu & { event_id: string }, stripped: readonly JsonObject[]) =>
        guarded(pdu, () => events.onOutOfRoomInvite(pdu, stripped)),
    },
    unread,
    notifications: createNotificationList({ storage, clientEvents: rooms.clientEvents }),
  };
}
export type Push = ReturnType<typeof buildPush>;
