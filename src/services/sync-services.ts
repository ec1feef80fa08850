/**
 * Wires the sync area: typing, receipts and read markers, presence, the membership view they
 * share, and `/sync` itself over the rooms area's state, events and visibility. Called by the
 * composition root after the room services exist.
 */
import type { Storage } from "../storage";
import type { AccountDataService } from "./account-data";
import type { ClientEvents } from "./client-events";
import type { Clock } from "./clock";
import type { EventStore } from "./event-store";
import type { FiltersService } from "./filters";
import { createMembershipView } from "./membership-view";
import type { Notifier } from "./notifier";
import { createPresenceService } from "./presence";
import { createReceiptsService } from "./receipts";
import type { StateService } from "./state";
import { createSyncService } from "./sync";
import { createLazyMembersCache } from "./sync-lazy-members";
import { createSyncRooms } from "./sync-rooms";
import type { Timeline } from "./timeline";
import { createTypingService } from "./typing";
import type { Visibility } from "./visibility";

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
