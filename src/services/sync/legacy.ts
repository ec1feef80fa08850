/**
 * The polling APIs from before `/sync`, deprecated but still in the spec and still called by older
 * clients, bridges and test suites:
 * - `GET /events`: what happened after a token, in stream order, waiting up to `timeout` for
 *   something: room events of the user's rooms (or of one world-readable room being peeked at),
 *   presence, typing, receipts and account data, each with its `room_id` where it has one;
 * - `GET /initialSync`: every room of the user with its state and latest messages, plus presence,
 *   receipts and account data;
 * - `GET /rooms/{roomId}/initialSync`: the same for one room, members and peekers alike;
 * - `GET /events/{eventId}`: one event the user may see.
 * Their tokens are `/sync` tokens, so a client can move between the APIs. Events are in the
 * format of their time: the client format plus `user_id` (the sender), and presence content names
 * its `user_id`. Polling `/events` or fetching an initial sync keeps the user online, as `/sync` does.
 */
import { invitesBlocked } from "../accounts/invite-permissions";
import { formatSyncToken, type SyncToken } from "../../core/sync-token";
import type { JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventRow } from "../../storage/events";
import type { MembershipRow } from "../../storage/memberships";
import type { Requester } from "../accounts/access-tokens";
import type { PresenceService } from "../edus/presence";
import { forbidden, notFound } from "../matrix-error";
import type { ClientEvents } from "../rooms/client-events";
import type { MembershipView } from "../rooms/membership-view";
import type { StateService } from "../rooms/state";
import { MAX_LIMIT, type Timeline } from "../rooms/timeline";
import type { Visibility } from "../rooms/visibility";
import type { Notifier } from "./notifier";
import type { RoomShare } from "./streams/stream";
import { maxSyncTimeoutMs, type SyncService } from "./sync";
import type { Clock } from "../../runtime/clock";

/** Events per `/events` answer, and messages per room of an initial sync, when the client names none. */
const DEFAULT_LIMIT = 10;

export interface EventsQuery {
  from?: string;
  timeoutMs: number;
  /** Peek at one room instead of the user's rooms (it must be world-readable, or theirs). */
  roomId?: string;
  limit?: number;
}

export interface LegacySyncDeps {
  storage: Storage;
  clock: Clock;
  notifier: Notifier;
  sync: SyncService;
  state: StateService;
  timeline: Timeline;
  clientEvents: ClientEvents;
  visibility: Visibility;
  presence: PresenceService;
  members: MembershipView;
}

type Shares = readonly ((roomId: string, full: boolean) => RoomShare | undefined)[];

export function createLegacySync(deps: LegacySyncDeps) {
  const { storage, clock, notifier, sync, state, timeline, clientEvents, visibility, presence, members } = deps;

  const clampLimit = (limit: number | undefined) => Math.min(Math.max(limit ?? DEFAULT_LIMIT, 0), MAX_LIMIT);
  const withRoom = (roomId: string) => (event: JsonObject): JsonObject => ({ ...event, room_id: roomId });
  /** The event format of these APIs: the sender once more as `user_id`. */
  const v1 = (event: JsonObject): JsonObject => (typeof event.sender === "string" ? { ...event, user_id: event.sender } : event);
  const v1Presence = (event: JsonObject): JsonObject => ({ ...event, content: { ...(event.content as JsonObject), user_id: event.sender } });
  const formatV1 = (rows: readonly EventRow[], requester: Requester) => clientEvents.formatAll(rows, requester).map(v1);

  /** The other streams' events of one room: ephemeral ones only where the user is joined. */
  function roomShareEvents(shares: Shares, roomId: string, full: boolean, joined: boolean): { ephemeral: JsonObject[]; accountData: JsonObject[] } {
    const ephemeral: JsonObject[] = [];
    const accountData: JsonObject[] = [];
    for (const share of shares) {
      const part = share(roomId, full);
      if (part?.accountData) accountData.push(...part.accountData);
      if (joined && part?.ephemeral) ephemeral.push(...part.ephemeral);
    }
    return { ephemeral, accountData };
  }

  /**
   * The oldest `limit` room events of `rooms` in (from, to], in stream order, and the position the
   * answer reaches: the last event's when more remain, else `to`. Each room is read in order and
   * the reads merged, so a long gap never skips events: the next call continues where this stopped.
   */
  function roomEvents(rooms: readonly string[], from: number, to: number, limit: number): { rows: EventRow[]; reached: number } {
    if (limit === 0 || from >= to) return { rows: [], reached: to };
    const moved = to - from <= 1000 ? storage.roomActivity.roomsWithEvents(from, to) : undefined;
    const rows: EventRow[] = [];
    for (const roomId of rooms) {
      if (moved && !moved.has(roomId)) continue;
      rows.push(...storage.events.streamRangeAsc(roomId, from, to, limit + 1));
    }
    rows.sort((a, b) => a.stream_ordering - b.stream_ordering);
    if (rows.length <= limit) return { rows, reached: to };
    const kept = rows.slice(0, limit);
    return { rows: kept, reached: kept[kept.length - 1]!.stream_ordering };
  }

  /** Presence changes of a peeked room's members (the peeker shares no room with them). */
  function peekedPresence(roomId: string, since: SyncToken, now: SyncToken): JsonObject[] {
    const from = sync.positionIn(since, "presence");
    const to = sync.positionIn(now, "presence") ?? 0;
    if (from === undefined) return [];
    const roomMembers = new Set(storage.memberships.usersWith(roomId, "join"));
    return presence
      .changedSince(from, to)
      .filter((r) => roomMembers.has(r.user_id))
      .map((r) => v1Presence(presence.event(r)));
  }

  /** One `/events` computation from `since` to now: the chunk and the token it ends at. */
  function eventsSince(requester: Requester, since: SyncToken, roomId: string | undefined, limit: number) {
    const { userId } = requester;
    const now = sync.currentToken();
    const memberships = storage.memberships.forUser(userId);
    const rooms = roomId === undefined ? memberships.map((m) => m.room_id) : [roomId];
    const { rows, reached } = roomEvents(rooms, since.positions[0]!, now.positions[0]!, limit);
    const chunk: JsonObject[] = formatV1(visibility.filterVisible(userId, rows), requester);

    const others = sync.otherStreams(requester, since, now);
    if (roomId === undefined) {
      chunk.push(...((others.fields.presence as { events: JsonObject[] } | undefined)?.events ?? []).map(v1Presence));
      chunk.push(...((others.fields.account_data as { events: JsonObject[] } | undefined)?.events ?? []));
    } else {
      chunk.push(...peekedPresence(roomId, since, now));
    }
    // A peeker sees the room's typing and receipts as its members do.
    const joined = new Set(memberships.filter((m) => m.membership === "join").map((m) => m.room_id));
    for (const room of rooms) {
      const { ephemeral, accountData } = roomShareEvents(others.shares, room, false, roomId !== undefined || joined.has(room));
      chunk.push(...ephemeral.map(withRoom(room)), ...accountData.map(withRoom(room)));
    }
    // `/events` delivers no to-device messages: its token must not acknowledge (delete) any.
    const end = sync.withPositionOf({ ...now, positions: [reached, ...now.positions.slice(1)] }, "to_device", since);
    return { chunk, end };
  }

  /** The state a user may read of a room, as events (current, or as of their leaving). */
  function roomState(requester: Requester, group: number): JsonObject[] {
    const rows = [...state.stateOfGroup(group).values()].map((id) => storage.events.get(id)).filter((r): r is EventRow => r !== null);
    return formatV1(rows, requester);
  }

  /** The latest `limit` messages the user may see, oldest first, with the token to page back from. */
  function latestMessages(requester: Requester, roomId: string, limit: number, end: string): JsonObject {
    if (limit === 0) return { chunk: [], start: end, end };
    const page = timeline.messages(requester, roomId, { dir: "b", limit });
    const chunk = (page.chunk as JsonObject[]).reverse().map(v1);
    return { chunk, start: (page.end as string | undefined) ?? (page.start as string), end };
  }

  /** One room of an initial sync (403 when the user may not read it). */
  function roomInitial(requester: Requester, roomId: string, membership: MembershipRow | undefined, limit: number, end: string, shares: Shares): JsonObject {
    const view = visibility.readableState(requester.userId, roomId);
    const joined = membership?.membership === "join";
    const { ephemeral, accountData } = roomShareEvents(shares, roomId, true, joined);
    const room: JsonObject = {
      room_id: roomId,
      messages: latestMessages(requester, roomId, limit, end),
      state: roomState(requester, view.group),
      visibility: storage.rooms.get(roomId)?.published ? "public" : "private",
      account_data: accountData,
    };
    if (membership) room.membership = membership.membership;
    if (joined) room.receipts = ephemeral.filter((e) => e.type === "m.receipt").map(withRoom(roomId));
    return room;
  }

  /** The presence of these users, the requester's own included. */
  function presenceOf(userIds: Iterable<string>, requester: Requester): JsonObject[] {
    const users = new Set(userIds);
    users.add(requester.userId);
    return presence.eventsOf([...users], presence.position()).map(v1Presence);
  }

  return {
    /** GET /events */
    async events(requester: Requester, q: EventsQuery, signal?: AbortSignal): Promise<JsonObject> {
      if (q.roomId !== undefined) visibility.readableState(requester.userId, q.roomId);
      const since = q.from === undefined || q.from === "" ? sync.currentToken() : sync.parseToken(q.from)!;
      const start = q.from || formatSyncToken(since);
      const limit = clampLimit(q.limit);
      const deadline = clock.now() + Math.min(Math.max(q.timeoutMs, 0), maxSyncTimeoutMs);
      const ended = presence.syncStarted(requester.userId, undefined);
      try {
        let result = eventsSince(requester, since, q.roomId, limit);
        while (result.chunk.length === 0) {
          const remaining = deadline - clock.now();
          if (remaining <= 0 || signal?.aborted) break;
          // Peekers are not members, so nothing wakes them for the room: they poll within the wait.
          const wait = q.roomId === undefined ? remaining : Math.min(remaining, 500);
          await notifier.wait(requester.userId, wait, () => false, signal);
          result = eventsSince(requester, since, q.roomId, limit);
        }
        return { start, end: formatSyncToken(result.end), chunk: result.chunk };
      } finally {
        ended();
      }
    },

    /** GET /initialSync */
    initialSync(requester: Requester, q: { limit?: number; archived: boolean }): JsonObject {
      presence.syncStarted(requester.userId, undefined)();
      const to = sync.currentToken();
      const end = formatSyncToken(to);
      const limit = clampLimit(q.limit);
      const others = sync.otherStreams(requester, undefined, to);
      const rooms: JsonObject[] = [];
      const receipts: JsonObject[] = [];
      for (const m of storage.memberships.forUser(requester.userId)) {
        if (m.membership === "invite" || m.membership === "knock") {
          // MSC4380: stored invites stay hidden while the user blocks invites.
          if (m.membership === "invite" && invitesBlocked(storage, requester.userId)) continue;
          const row = storage.events.get(m.event_id);
          if (!row) continue;
          const entry: JsonObject = { room_id: m.room_id, membership: m.membership, messages: { chunk: [], start: end, end }, state: [] };
          if (m.membership === "invite") Object.assign(entry, { invite: v1(clientEvents.format(row, requester)), inviter: row.sender });
          rooms.push(entry);
          continue;
        }
        if (m.membership !== "join" && !q.archived) continue;
        const room = roomInitial(requester, m.room_id, m, limit, end, others.shares);
        receipts.push(...((room.receipts as JsonObject[] | undefined) ?? []));
        delete room.receipts;
        rooms.push(room);
      }
      // The user's own global data: push rules have their API (and /sync's account data) instead.
      const global = ((others.fields.account_data as { events: JsonObject[] } | undefined)?.events ?? []).filter((e) => e.type !== "m.push_rules");
      return { end, rooms, presence: presenceOf(members.usersSharingRooms(requester.userId), requester), receipts, account_data: global };
    },

    /** GET /rooms/{roomId}/initialSync: for members, former members (up to their leaving) and peekers. */
    roomInitialSync(requester: Requester, roomId: string, q: { limit?: number }): JsonObject {
      if (!storage.rooms.get(roomId)) throw forbidden(`${requester.userId} is not in room ${roomId}`);
      presence.syncStarted(requester.userId, undefined)();
      const to = sync.currentToken();
      const membership = storage.memberships.get(roomId, requester.userId) ?? undefined;
      const others = sync.otherStreams(requester, undefined, to);
      const room = roomInitial(requester, roomId, membership, clampLimit(q.limit), formatSyncToken(to), others.shares);
      // Members and peekers see the members' presence; one who left sees none of what came after.
      const departed = membership?.membership === "leave" || membership?.membership === "ban";
      room.presence = departed ? [] : presenceOf(storage.memberships.usersWith(roomId, "join"), requester);
      room.receipts ??= [];
      return room;
    },

    /** GET /events/{eventId} */
    event(requester: Requester, eventId: string): JsonObject {
      const row = storage.events.get(eventId);
      if (!row || row.outlier || row.rejected_reason !== null || row.soft_failed || !visibility.canSee(requester.userId, row)) {
        throw notFound("Event not found");
      }
      return v1(clientEvents.format(row, requester));
    },
  };
}
export type LegacySync = ReturnType<typeof createLegacySync>;
