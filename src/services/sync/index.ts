/**
 * Wires the sync area: `/sync` as the list of its stream providers (`streams/`: room events,
 * account data, receipts, presence, to-device, device lists, typing), and the legacy polling APIs
 * over the same streams (`legacy.ts`), and simplified sliding sync over them too (`sliding/`). The notifier that wakes
 * long-polls is made by the composition root, since every area that writes wakes it.
 */
import type { Accounts } from "../accounts";
import type { E2ee } from "../e2ee";
import type { Edus } from "../edus";
import type { Push } from "../push";
import type { Rooms } from "../rooms";
import { createLazyMembersCache } from "./lazy-members";
import { createSyncRooms } from "./rooms-section";
import { accountDataStream } from "./streams/account-data";
import { deviceListsStream } from "./streams/device-lists";
import { presenceStream } from "./streams/presence";
import { receiptsStream } from "./streams/receipts";
import { roomsStream } from "./streams/rooms";
import type { SyncStream } from "./streams/stream";
import { toDeviceStream } from "./streams/to-device";
import { typingStream } from "./streams/typing";
import type { SharedDeps } from "../shared-deps";
import { createSyncService } from "./sync";
import { createLegacySync } from "./legacy";
import { createConnections } from "./sliding/connections";
import { createExtensions } from "./sliding/extensions";
import { createRoomRecency } from "./sliding/recency";
import { createRoomList } from "./sliding/room-list";
import { createRoomResults } from "./sliding/room-result";
import { createSlidingSync } from "./sliding/sliding-sync";

export interface SyncDeps extends Pick<SharedDeps, "storage" | "clock" | "log" | "notifier"> {
  accounts: Pick<Accounts, "filters" | "accountData">;
  rooms: Pick<Rooms, "state" | "timeline" | "eventStore" | "clientEvents" | "visibility" | "members">;
  edus: Edus;
  push: Pick<Push, "rules" | "unread">;
  e2ee: Pick<E2ee, "toDevice" | "changes" | "deviceKeys">;
}

export function buildSync(deps: SyncDeps) {
  const { storage, clock, log, notifier, accounts, rooms, edus, push, e2ee } = deps;
  const lazyMembers = createLazyMembersCache();
  const roomsSection = createSyncRooms({
    storage,
    activity: storage.roomActivity,
    state: rooms.state,
    timeline: rooms.timeline,
    eventStore: rooms.eventStore,
    clientEvents: rooms.clientEvents,
    visibility: rooms.visibility,
    lazyMembers,
    unread: push.unread,
  });
  // The streams after the room events, in token order: append new ones at the end.
  const streams: SyncStream[] = [
    accountDataStream(accounts.accountData, push.rules),
    receiptsStream(edus.receipts),
    presenceStream(edus.presence, rooms.members),
    toDeviceStream(e2ee.toDevice),
    deviceListsStream(e2ee.changes, e2ee.deviceKeys),
    typingStream(edus.typing),
  ];
  const sync = createSyncService({
    clock,
    log,
    notifier,
    filters: accounts.filters,
    presence: edus.presence,
    lazyMembers,
    rooms: roomsStream(storage, roomsSection),
    streams,
    resyncPoint: (userId) => storage.ignoredUsers.resyncPoint(userId),
  });
  const legacy = createLegacySync({
    storage,
    clock,
    notifier,
    sync,
    state: rooms.state,
    timeline: rooms.timeline,
    clientEvents: rooms.clientEvents,
    visibility: rooms.visibility,
    presence: edus.presence,
    members: rooms.members,
  });
  const recency = createRoomRecency(storage.slidingSync, (roomId, to) => storage.roomActivity.latestInRoom(roomId, to));
  const sliding = createSlidingSync({
    storage,
    clock,
    log,
    notifier,
    sync,
    streams,
    presence: edus.presence,
    receipts: edus.receipts,
    connections: createConnections({ storage, clock }),
    roomList: createRoomList({ storage, recency, timeline: rooms.timeline, clientEvents: rooms.clientEvents }),
    results: createRoomResults({ storage, rooms: roomsSection, timeline: rooms.timeline, clientEvents: rooms.clientEvents, unread: push.unread }),
    extensions: createExtensions(new Map(streams.map((s) => [s.key, s]))),
  });
  return { sync, legacy, sliding, notifier };
}
export type Sync = ReturnType<typeof buildSync>;
