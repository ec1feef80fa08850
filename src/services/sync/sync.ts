/**
 * `GET /sync` (spec "Syncing"): reads every stream from the `since` token to the current positions
 * and assembles the response; when there is nothing new and the client asked to wait, parks on the
 * notifier until one of the user's streams changes or the timeout passes (no polling).
 * The computation itself never awaits, so it sees one consistent database and no wake-up can slip
 * between reading the streams and starting to wait.
 */
import { formatSyncToken, parseSyncToken, type SyncToken } from "../../core/sync-token";
import type { JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import { GLOBAL_ROOM } from "../../storage/account-data";
import type { ReceiptRow } from "../../storage/receipts";
import type { AccountDataService } from "../accounts/account-data";
import type { Requester } from "../accounts/access-tokens";
import type { Clock } from "../../runtime/clock";
import type { FiltersService } from "../accounts/filters";
import { invalidParam } from "../matrix-error";
import type { MembershipView } from "../rooms/membership-view";
import type { Notifier } from "./notifier";
import type { PresenceService, PresenceState } from "../edus/presence";
import type { ReceiptsService } from "../edus/receipts";
import type { RoomsSection, SyncRooms } from "./rooms-section";
import type { LazyMembersCache } from "./lazy-members";
import type { TypingService } from "../edus/typing";
import { projectEventFields, type CompiledFilter } from "../../core/filter";

/** Long-polls are capped so a proxy or client timeout never cuts one off mid-wait. */
export const maxSyncTimeoutMs = 60_000;

export interface SyncParams {
  since?: string;
  filter?: string;
  fullState: boolean;
  /** Since v1.16: state at the end of each timeline, in `state_after`. */
  useStateAfter: boolean;
  setPresence?: PresenceState;
  timeoutMs: number;
}

export interface SyncResponse {
  next_batch: string;
  rooms: RoomsSection;
  account_data: { events: JsonObject[] };
  presence: { events: JsonObject[] };
  to_device: { events: JsonObject[] };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
}

export interface SyncDeps {
  storage: Storage;
  clock: Clock;
  notifier: Notifier;
  filters: FiltersService;
  accountData: AccountDataService;
  typing: TypingService;
  receipts: ReceiptsService;
  presence: PresenceService;
  members: MembershipView;
  rooms: SyncRooms;
  lazyMembers: LazyMembersCache;
}

export function createSyncService(deps: SyncDeps) {
  const { storage, clock, notifier, filters, accountData, typing, receipts, presence, members, rooms, lazyMembers } = deps;

  /** Where every stream stands now. */
  function currentToken(): SyncToken {
    return {
      events: storage.events.maxStreamOrdering(),
      accountData: accountData.position(),
      receipts: receipts.position(),
      presence: presence.position(),
      // Slots for the E2EE streams, which have no positions yet.
      toDevice: 0,
      deviceLists: 0,
      typing: typing.position(),
      typingEpoch: typing.epoch,
    };
  }

  function parseSince(raw: string | undefined): SyncToken | undefined {
    if (raw === undefined || raw === "") return undefined;
    const token = parseSyncToken(raw);
    if (!token) throw invalidParam(`'${raw}' is not a sync token of this server`);
    return token;
  }

  function project(filter: CompiledFilter, event: JsonObject): JsonObject {
    return filter.eventFields ? projectEventFields(event, filter.eventFields) : event;
  }

  function accountDataSection(userId: string, since: SyncToken | undefined, to: SyncToken, filter: CompiledFilter) {
    const global: JsonObject[] = [];
    const byRoom = new Map<string, JsonObject[]>();
    for (const row of accountData.changedSince(userId, since?.accountData ?? 0, to.accountData)) {
      const event = { type: row.type, content: JSON.parse(row.content) as JsonObject };
      if (row.room_id === GLOBAL_ROOM) {
        if (filter.accountData.matches(event)) global.push(project(filter, event));
      } else if (filter.room.accountData.matches({ ...event, room_id: row.room_id })) {
        const list = byRoom.get(row.room_id) ?? [];
        list.push(project(filter, event));
        byRoom.set(row.room_id, list);
      }
    }
    return { global, byRoom };
  }

  function receiptsByRoom(since: SyncToken | undefined, to: SyncToken): Map<string, ReceiptRow[]> {
    const out = new Map<string, ReceiptRow[]>();
    if (!since) return out;
    for (const row of receipts.changedSince(since.receipts, to.receipts)) {
      const list = out.get(row.room_id) ?? [];
      list.push(row);
      out.set(row.room_id, list);
    }
    return out;
  }

  function presenceSection(userId: string, since: SyncToken | undefined, to: SyncToken, filter: CompiledFilter): JsonObject[] {
    let rows;
    if (!since) {
      rows = presence.of([...members.usersSharingRooms(userId)], to.presence);
    } else {
      rows = presence.changedSince(since.presence, to.presence);
      if (rows.length > 0) {
        const visible = members.usersSharingRooms(userId);
        rows = rows.filter((r) => visible.has(r.user_id));
      }
    }
    return rows
      .map((r) => presence.event(r))
      .filter((e) => filter.presence.matches({ type: "m.presence", sender: e.sender as string }))
      .map((e) => project(filter, e));
  }

  function compute(requester: Requester, since: SyncToken | undefined, filter: CompiledFilter, params: SyncParams): SyncResponse {
    const { fullState, useStateAfter } = params;
    const { userId, deviceId } = requester;
    const to = currentToken();
    const ad = accountDataSection(userId, since, to, filter);
    if (!since) lazyMembers.reset(userId, deviceId);
    const roomsSection = rooms.build(
      { userId, deviceId, filter, since, to, fullState, useStateAfter, roomAccountData: ad.byRoom, receiptsByRoom: receiptsByRoom(since, to) },
      storage.memberships.forUser(userId),
    );
    return {
      next_batch: formatSyncToken(to),
      rooms: roomsSection,
      account_data: { events: ad.global },
      presence: { events: presenceSection(userId, since, to, filter) },
      to_device: { events: [] },
      device_lists: { changed: [], left: [] },
      device_one_time_keys_count: {},
    };
  }

  function isEmpty(r: SyncResponse): boolean {
    const { join, invite, knock, leave } = r.rooms;
    return (
      r.account_data.events.length === 0 &&
      r.presence.events.length === 0 &&
      r.to_device.events.length === 0 &&
      r.device_lists.changed.length === 0 &&
      r.device_lists.left.length === 0 &&
      isEmptyRecord(join) && isEmptyRecord(invite) && isEmptyRecord(knock) && isEmptyRecord(leave)
    );
  }

  return {
    currentToken,

    async sync(requester: Requester, params: SyncParams, signal?: AbortSignal): Promise<SyncResponse> {
      const since = parseSince(params.since);
      const filter = filters.syncFilter(requester.userId, params.filter);
      const ended = presence.syncStarted(requester.userId, params.setPresence);
      try {
        let response = compute(requester, since, filter, params);
        // An initial or full-state sync answers at once; so does one with news.
        if (!since || params.fullState || !isEmpty(response)) return response;
        const deadline = clock.now() + Math.min(Math.max(params.timeoutMs, 0), maxSyncTimeoutMs);
        while (isEmpty(response)) {
          const remaining = deadline - clock.now();
          if (remaining <= 0 || signal?.aborted) break;
          if (!(await notifier.wait(requester.userId, remaining, () => false, signal))) break;
          response = compute(requester, since, filter, params);
        }
        return response;
      } finally {
        ended();
      }
    },
  };
}
export type SyncService = ReturnType<typeof createSyncService>;

function isEmptyRecord(o: Record<string, unknown>): boolean {
  for (const _ in o) return false;
  return true;
}
