/**
 * Wires the sync area: typing, receipts and read markers, presence, the membership view they
 * share, and `/sync` itself over the rooms area's state, events and visibility. Called by the
 * composition root after the room services exist.
 */
import type { Storage } from "../../storage";
import type { AccountDataService } from "../accounts/account-data";
import type { ClientEvents } from "../rooms/client-events";
import type { Clock } from "../../runtime/clock";
import type { EventStore } from "../rooms/event-store";
import type { FiltersService } from "../accounts/filters";
import { createMembershipView } from "../rooms/membership-view";
import type { Notifier } from "./notifier";
import { createPresenceService } from "../edus/presence";
import { createReceiptsService } from "../edus/receipts";
import type { StateService } from "../rooms/state";
import { createSyncService } from "./sync";
import { createLazyMembersCache } from "./lazy-members";
import { createSyncRooms } from "./rooms-section";
import type { Timeline } from "../rooms/timeline";
import { createTypingService } from "../edus/typing";
import type { Visibility } from "../rooms/visibility";

export interface SyncServiceDeps {
  storage: Storage;
  clock: Clock;
  notifier: Notifier;
  filters: FiltersService;
  accountData: AccountDataService;
  roomState: StateService;
  timeline: Timeline;
  eventStore: EventStore;
  clientEvents: ClientEvents;
  visibility: Visibility;
}

export function buildSyncServices(deps: SyncServiceDeps) {
  const { storage, clock, notifier, accountData } = deps;
  const members = createMembershipView(storage);
  const typing = createTypingService({ members, notifier });
  const receipts = createReceiptsService({ storage, members, notifier, clock, accountData });
  const presence = createPresenceService({ storage, members, notifier, clock });
  const lazyMembers = createLazyMembersCache();
  const syncRooms = createSyncRooms({
    storage,
    activity: storage.roomActivity,
    state: deps.roomState,
    timeline: deps.timeline,
    eventStore: deps.eventStore,
    clientEvents: deps.clientEvents,
    visibility: deps.visibility,
    typing,
    receipts,
    lazyMembers,
  });
  const sync = createSyncService({
    storage,
    clock,
    notifier,
    filters: deps.filters,
    accountData,
    typing,
    receipts,
    presence,
    members,
    rooms: syncRooms,
    lazyMembers,
  });
  return { typing, receipts, presence, sync };
}
export type SyncServices = ReturnType<typeof buildSyncServices>;
