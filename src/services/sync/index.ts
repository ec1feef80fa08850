/**
 * Wires the sync area: `/sync` over the rooms area (state, timeline, visibility), the EDUs and
 * account data. The notifier that wakes long-polls is made by the composition root, since every
 * area that writes wakes it.
 */
import type { Clock } from "../../runtime/clock";
import type { Storage } from "../../storage";
import type { Accounts } from "../accounts";
import type { Edus } from "../edus";
import type { Rooms } from "../rooms";
import { createLazyMembersCache } from "./lazy-members";
import type { Notifier } from "./notifier";
import { createSyncRooms } from "./rooms-section";
import { createSyncService } from "./sync";

export interface SyncDeps {
  storage: Storage;
  clock: Clock;
  notifier: Notifier;
  accounts: Pick<Accounts, "filters" | "accountData">;
  rooms: Pick<Rooms, "state" | "timeline" | "eventStore" | "clientEvents" | "visibility" | "members">;
  edus: Edus;
}

export function buildSync(deps: SyncDeps) {
  const { storage, clock, notifier, accounts, rooms, edus } = deps;
  const lazyMembers = createLazyMembersCache();
  const syncRooms = createSyncRooms({
    storage,
    activity: storage.roomActivity,
    state: rooms.state,
    timeline: rooms.timeline,
    eventStore: rooms.eventStore,
    clientEvents: rooms.clientEvents,
    visibility: rooms.visibility,
    typing: edus.typing,
    receipts: edus.receipts,
    lazyMembers,
  });
  const sync = createSyncService({
    storage,
    clock,
    notifier,
    filters: accounts.filters,
    accountData: accounts.accountData,
    typing: edus.typing,
    receipts: edus.receipts,
    presence: edus.presence,
    members: rooms.members,
    rooms: syncRooms,
    lazyMembers,
  });
  return { sync, notifier };
}
export type Sync = ReturnType<typeof buildSync>;
