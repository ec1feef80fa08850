/**
 * The `rooms` part of a `/sync` response: for each room of the user, the timeline since the token
 * (newest events first, up to the filter's limit, `limited` when a gap remains, `prev_batch` to
 * paginate back), the state delta between the token and the start of that timeline, the stored
 * unread counts and the summary, plus what the other streams hold for the room (ephemeral typing and
 * receipts, room account data). Only rooms whose events moved since the token are read; an
 * initial sync (or a room joined since the token) gets the whole state at the start of its
 * timeline. Events (but state) and invites from users the user ignores are left out.
 */
import type { RoomEventMatcher } from "../../core/filter";
import { projectEventFields } from "../../core/filter";
import { isJsonObject, stateKeyOf, type JsonObject, type StateKey } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventRow } from "../../storage/events";
import type { MembershipRow } from "../../storage/memberships";
import type { RoomActivityRepo } from "../../storage/room-activity";
import { isIgnored } from "../accounts/ignored-users";
import { invitesBlocked } from "../accounts/invite-permissions";
import type { ClientEvents } from "../rooms/client-events";
import type { EventStore } from "../rooms/event-store";
import type { UnreadCounts } from "../push/unread-counts";
import type { StateMap, StateService } from "../rooms/state";
import type { LazyMembersCache } from "./lazy-members";
import { MAX_LIMIT, type Timeline } from "../rooms/timeline";
import type { Visibility } from "../rooms/visibility";
import { relationsPointingAt, type PointingRelations } from "../relations/related-by";
import type { RoomShare, SyncRequest } from "./streams/stream";

/** Timeline length when the filter names none. */
const defaultTimelineLimit = 10;
/** The most rows read per step while looking for events the filter and visibility let through. */
const maxScanBatch = 100;
const heroCount = 5;
/** State keys of membership events start with this. */
const memberKeyPrefix = stateKeyOf("m.room.member", "");
/** Stripped state that tells a user about a room before they join it (spec "Stripped state"). */
const strippedTypes = [
  "m.room.create", "m.room.name", "m.room.avatar", "m.room.topic",
  "m.room.join_rules", "m.room.canonical_alias", "m.room.encryption",
];

export interface SyncRoomsDeps {
  storage: Storage;
  activity: RoomActivityRepo;
  state: StateService;
  timeline: Timeline;
  eventStore: EventStore;
  clientEvents: ClientEvents;
  visibility: Visibility;
  lazyMembers: LazyMembersCache;
  /** The stored unread counts (push area). */
  unread: Pick<UnreadCounts, "forSync">;
}

/** One sync computation as the rooms section sees it: room event positions, and the other streams' shares. */
export interface RoomsRequest extends SyncRequest {
  /** The room event position of the token; undefined for an initial sync. */
  since: number | undefined;
  to: number;
  /** The other streams' share of each room. */
  shares: readonly ((roomId: string, full: boolean) => RoomShare | undefined)[];
  /** The users the user ignores (`m.ignored_user_list`). */
  ignored: ReadonlySet<string>;
}

export type RoomsSection = {
  join: Record<string, JsonObject>;
  invite: Record<string, JsonObject>;
  knock: Record<string, JsonObject>;
  leave: Record<string, JsonObject>;
};

export interface TimelineBatch {
  rows: EventRow[];
  limited: boolean;
}

export function createSyncRooms(deps: SyncRoomsDeps) {
  const { storage, activity, state, timeline: roomTimeline, eventStore, clientEvents, visibility, lazyMembers, unread } = deps;

  /**
   * Newest-first scan of (from, to] keeping what the user may see and the filter allows. The first
   * read asks for exactly limit + 1 rows (the common case: everything passes); later reads grow.
   */
  function readTimeline(req: Pick<RoomsRequest, "userId" | "ignored">, roomId: string, from: number, to: number, matcher: RoomEventMatcher): TimelineBatch {
    const limit = Math.min(matcher.limit ?? defaultTimelineLimit, MAX_LIMIT);
    const kept: EventRow[] = [];
    let upper = to;
    let scanned = 0;
    let batch = limit + 1;
    // Bounded so a long invisible history (joined-only visibility) is not read to its start.
    const scanLimit = limit * 10 + maxScanBatch * 4;
    while (scanned < scanLimit) {
      const rows = storage.events.streamRangeDesc(roomId, from, upper, batch);
      scanned += rows.length;
      const relations = matcher.needsRelations ? relationsPointingAt(storage, rows) : undefined;
      for (const row of visibility.filterVisible(req.userId, rows)) {
        if (isIgnored(row, req.ignored) || !matcher.matches(filterable(row, relations))) continue;
        if (kept.length === limit) return { rows: kept.reverse(), limited: true };
        kept.push(row);
      }
      if (rows.length < batch) return { rows: kept.reverse(), limited: false };
      upper = rows[rows.length - 1]!.stream_ordering - 1;
      batch = Math.min(batch * 2, maxScanBatch);
    }
    return { rows: kept.reverse(), limited: true };
  }

  function filterable(row: EventRow, relations?: PointingRelations) {
    return {
      type: row.type,
      sender: row.sender,
      room_id: row.room_id,
      relations: relations?.get(row.event_id),
      get content() {
        return clientEvents.visiblePdu(row).content;
      },
    };
  }

  function format(req: RoomsRequest, row: EventRow): JsonObject {
    const event =
      req.filter.eventFormat === "federation"
        ? (eventStore.pduOf(row) as unknown as JsonObject)
        : clientEvents.format(row, { userId: req.userId, deviceId: req.deviceId }, { omitRoomId: true });
    return req.filter.eventFields ? projectEventFields(event, req.filter.eventFields) : event;
  }

  /** Timeline events: in the client format with their bundled aggregations. */
  function formatTimeline(req: RoomsRequest, rows: readonly EventRow[]): JsonObject[] {
    if (req.filter.eventFormat === "federation") return rows.map((row) => format(req, row));
    const events = clientEvents.formatTimeline(rows, { userId: req.userId, deviceId: req.deviceId }, { omitRoomId: true });
    const fields = req.filter.eventFields;
    return fields ? events.map((event) => projectEventFields(event, fields)) : events;
  }

  function stateRows(ids: Iterable<string>): EventRow[] {
    const rows: EventRow[] = [];
    for (const id of ids) {
      const row = storage.events.get(id);
      if (row) rows.push(row);
    }
    return rows;
  }

  /** The state at the start of the timeline (before its first event; else as of `to`). */
  function stateAtStart(roomId: string, timeline: TimelineBatch, to: number): StateMap {
    const first = timeline.rows[0];
    if (!first) return roomTimeline.stateAtStream(roomId, to);
    return first.state_before === null ? new Map() : state.stateOfGroup(first.state_before);
  }

  /**
   * The state section. `state` describes the timeline's start: everything there for a full sync
   * of the room, else what changed between the token and that start (nothing when the timeline
   * has no gap). `state_after` (since v1.16, on request) describes the timeline's end the same
   * way, so it also carries the state changes inside the timeline. With lazy loading, membership
   * is limited to the timeline's senders (and the user on a full sync, and the heroes), skipping
   * what this device already holds, but never dropping membership changes since the token.
   */
  function stateSection(
    req: RoomsRequest,
    roomId: string,
    timeline: TimelineBatch,
    full: boolean,
    until: number,
    heroes: readonly string[] | undefined,
  ): EventRow[] {
    const matcher = req.filter.room.state;
    if (!matcher.allowsRoom(roomId)) return [];
    const lazy = matcher.lazyLoadMembers;
    const after = req.useStateAfter !== false;
    if (!full && !lazy && !after && !timeline.limited) return [];
    const at = after ? roomTimeline.stateAtStream(roomId, until) : stateAtStart(roomId, timeline, until);

    const chosen = new Map<StateKey, string>();
    if (full) {
      for (const [k, v] of at) chosen.set(k, v);
    } else if (after || timeline.limited) {
      const before = roomTimeline.stateAtStream(roomId, req.since!);
      // Equal maps are the same cached group: nothing changed.
      if (before !== at) for (const [k, v] of at) if (before.get(k) !== v) chosen.set(k, v);
    }
    if (lazy) {
      const changed = full ? new Map<StateKey, string>() : new Map(chosen);
      for (const k of [...chosen.keys()]) if (k.startsWith(memberKeyPrefix)) chosen.delete(k);
      const wanted = new Set(timeline.rows.map((r) => r.sender));
      if (full) wanted.add(req.userId);
      for (const hero of heroes ?? []) wanted.add(hero);
      for (const member of wanted) {
        const key = stateKeyOf("m.room.member", member);
        const id = at.get(key);
        if (id === undefined) continue;
        const redundant = !matcher.includeRedundantMembers && lazyMembers.sent(req.userId, req.deviceId, roomId, member, id);
        if (!redundant) chosen.set(key, id);
      }
      for (const [k, v] of changed) if (k.startsWith(memberKeyPrefix)) chosen.set(k, v);
    }
    const rows = stateRows(chosen.values());
    return rows.filter((row) => matcher.matches(filterable(row)));
  }

  function rememberMembers(req: RoomsRequest, roomId: string, rows: readonly EventRow[]): void {
    const members: [string, string][] = [];
    for (const row of rows) if (row.type === "m.room.member" && row.state_key !== null) members.push([row.state_key, row.event_id]);
    if (members.length > 0) lazyMembers.remember(req.userId, req.deviceId, roomId, members);
  }

  /** The room's heroes (spec "Calculating the display name"): joined and invited first, else those gone. */
  function heroesOf(userId: string, roomId: string): string[] {
    const present = activity.membersByAge(roomId, userId, false, heroCount);
    return present.length > 0 ? present : activity.membersByAge(roomId, userId, true, heroCount);
  }

  /** Whether `userId` was joined to the room at stream position `stream`. */
  function joinedAt(roomId: string, userId: string, stream: number): boolean {
    const id = roomTimeline.stateAtStream(roomId, stream).get(stateKeyOf("m.room.member", userId));
    return id !== undefined && eventStore.getPdu(id)?.content.membership === "join";
  }

  /** Whether the room has a non-empty name or canonical alias in `at`, so clients need no heroes to name it. */
  function isNamed(at: StateMap): boolean {
    const text = (type: string, field: string) => {
      const id = at.get(stateKeyOf(type, ""));
      const value = id === undefined ? undefined : eventStore.getPdu(id)?.content[field];
      return typeof value === "string" && value !== "";
    };
    return text("m.room.name", "name") || text("m.room.canonical_alias", "alias");
  }

  /** The summary; `m.heroes` only for a room without a name or alias (the spec requires it only then, Synapse sends it only then). */
  function summary(userId: string, roomId: string, until: number): { heroes: string[]; body: JsonObject } {
    const named = isNamed(roomTimeline.stateAtStream(roomId, until));
    const heroes = named ? [] : heroesOf(userId, roomId);
    const body: JsonObject = {
      "m.joined_member_count": storage.memberships.count(roomId, "join"),
      "m.invited_member_count": storage.memberships.count(roomId, "invite"),
    };
    if (!named) body["m.heroes"] = heroes;
    return { heroes, body };
  }

  /** The other streams' events in the room: ephemeral ones (joined rooms only) and room account data. */
  function shared(req: RoomsRequest, roomId: string, full: boolean, joined: boolean) {
    const ephemeral: JsonObject[] = [];
    const accountData: JsonObject[] = [];
    for (const share of req.shares) {
      const part = share(roomId, full);
      if (part?.accountData) accountData.push(...part.accountData);
      if (joined && part?.ephemeral) ephemeral.push(...part.ephemeral);
    }
    return { ephemeral, accountData };
  }

  /** Where `/messages` continues backwards: just before the first event, else from the token. */
  function prevBatch(req: RoomsRequest, timeline: TimelineBatch): string {
    const first = timeline.rows[0];
    return first ? roomTimeline.prevBatchFor(first) : req.nextBatch;
  }

  /**
   * One room the user is (or was, up to `until`) in. `full`: the client knows nothing of it yet.
   * Returns undefined when nothing changed there, unless `force` (the membership itself changed).
   */
  function roomUpdate(
    req: RoomsRequest,
    m: MembershipRow,
    opts: { full: boolean; hasEvents: boolean; until: number; force?: boolean },
  ): JsonObject | undefined {
    const { full, hasEvents, until } = opts;
    const roomId = m.room_id;
    const from = full ? 0 : req.since!;
    const timeline: TimelineBatch = hasEvents
      ? readTimeline(req, roomId, from, until, req.filter.room.timeline)
      : { rows: [], limited: false };
    const wantsSummary = full || timeline.rows.some((r) => r.type === "m.room.member");
    const room = wantsSummary && m.membership === "join" ? summary(req.userId, roomId, until) : undefined;
    const stateRowsOut = stateSection(req, roomId, timeline, full || req.fullState, until, room?.heroes);
    const { ephemeral: ephemeralEvents, accountData } = shared(req, roomId, full, m.membership === "join");
    const changed = full || opts.force || req.fullState || timeline.rows.length > 0 || stateRowsOut.length > 0 || accountData.length > 0 || ephemeralEvents.length > 0;
    if (!changed) return undefined;

    rememberMembers(req, roomId, stateRowsOut);
    rememberMembers(req, roomId, timeline.rows);
    const out: JsonObject = {
      timeline: {
        events: formatTimeline(req, timeline.rows),
        limited: timeline.limited,
        prev_batch: prevBatch(req, timeline),
      },
      [req.useStateAfter || "state"]: { events: stateRowsOut.map((r) => format(req, r)) },
      account_data: { events: accountData },
    };
    if (m.membership !== "join") return out;
    out.ephemeral = { events: ephemeralEvents };
    if (room) out.summary = room.body;
    Object.assign(out, unread.forSync(roomId, req.userId, req.filter.room.timeline.unreadThreadNotifications));
    return out;
  }

  /**
   * A leave of a room this server is not in (a rejected invite, a withdrawn knock): the room has no
   * timeline here, so the leave event itself is what the client is shown.
   */
  function outOfRoomLeave(req: RoomsRequest, m: MembershipRow): JsonObject | undefined {
    const row = storage.events.get(m.event_id);
    if (!row?.outlier) return undefined;
    return {
      timeline: { events: formatTimeline(req, [row]), limited: false, prev_batch: req.nextBatch },
      [req.useStateAfter || "state"]: { events: [] },
      account_data: { events: [] },
    };
  }

  /**
   * Stripped state for an invite or knock: key room state plus the membership event itself. For a
   * room this server is not in, the key state is what the inviting or knocked-at server sent with it.
   */
  function strippedState(m: MembershipRow): JsonObject[] {
    const row = storage.events.get(m.event_id);
    if (!row) return [];
    if (row.outlier) return [...receivedStrippedState(row, row.state_key ?? ""), stripped(row)];
    const group = row.state_after ?? row.state_before;
    const map = group === null ? new Map<StateKey, string>() : state.stateOfGroup(group);
    const ids = strippedTypes.map((type) => map.get(stateKeyOf(type, ""))).filter((id): id is string => id !== undefined);
    return [...stateRows(ids), row].map(stripped);
  }

  /** A stored event as a stripped state event (spec "Stripped state"). */
  function stripped(row: EventRow): JsonObject {
    return { type: row.type, state_key: row.state_key ?? "", sender: row.sender, content: clientEvents.visiblePdu(row).content };
  }

  /** The well-formed stripped events another server sent with a membership, in client form, but the user's own membership. */
  function receivedStrippedState(row: EventRow, userId: string): JsonObject[] {
    const sent = (JSON.parse(row.json) as { unsigned?: { invite_room_state?: unknown } }).unsigned?.invite_room_state;
    if (!Array.isArray(sent)) return [];
    const out: JsonObject[] = [];
    for (const e of sent) {
      if (!isJsonObject(e) || typeof e.type !== "string" || typeof e.state_key !== "string" || typeof e.sender !== "string" || !isJsonObject(e.content)) continue;
      if (e.type === "m.room.member" && e.state_key === userId) continue;
      out.push({ type: e.type, state_key: e.state_key, sender: e.sender, content: e.content });
    }
    return out;
  }

  return {
    /** What sliding sync (`sync/sliding/`) builds its rooms from, as `/sync` does. */
    readTimeline,
    strippedState,
    heroesOf,
    /** Builds the rooms section for the user's memberships. */
    build(req: RoomsRequest, memberships: readonly MembershipRow[]): RoomsSection {
      const out: RoomsSection = { join: {}, invite: {}, knock: {}, leave: {} };
      const { since, to, filter } = req;
      const initial = since === undefined;
      // Rooms with new events: one range scan when the gap is short, else one probe per room.
      let moved: (roomId: string) => boolean = () => true;
      if (!initial) {
        const range = to - since;
        if (range <= Math.max(200, memberships.length * 4)) {
          const rooms = activity.roomsWithEvents(since, to);
          moved = (roomId) => rooms.has(roomId);
        } else {
          moved = (roomId) => activity.latestInRoom(roomId, to) > since;
        }
      }

      let invitesHidden: boolean | undefined;
      for (const m of memberships) {
        const roomId = m.room_id;
        if (!filter.room.allowsRoom(roomId)) continue;
        const changedHere = !initial && m.stream_ordering > since && m.stream_ordering <= to;
        switch (m.membership) {
          case "join": {
            // New to the client only when the user was not joined at the token: a profile change
            // (join after join) is an ordinary event of a room it knows.
            const full = initial || (changedHere && !joinedAt(roomId, req.userId, since));
            const update = roomUpdate(req, m, { full, hasEvents: full || moved(roomId), until: to });
            if (update) out.join[roomId] = update;
            break;
          }
          case "invite":
            // Spec "Ignoring Users": invites from ignored users never reach the client. MSC4380: stored
            // invites stay hidden while the user blocks invites (read only when there is one).
            if ((initial || changedHere) && !req.ignored.has(m.sender) && !(invitesHidden ??= invitesBlocked(storage, req.userId))) {
              out.invite[roomId] = { invite_state: { events: strippedState(m) } };
            }
            break;
          case "knock":
            if (initial || changedHere) out.knock[roomId] = { knock_state: { events: strippedState(m) } };
            break;
          case "leave":
          case "ban": {
            // The final events up to the leave; rooms left before the token only with include_leave
            // on a full sync.
            const until = Math.min(m.stream_ordering, to);
            let update: JsonObject | undefined;
            if (changedHere) update = outOfRoomLeave(req, m) ?? roomUpdate(req, m, { full: false, hasEvents: true, until, force: true });
            else if ((initial || req.fullState) && filter.room.includeLeave) update = outOfRoomLeave(req, m) ?? roomUpdate(req, m, { full: true, hasEvents: true, until });
            if (update) out.leave[roomId] = update;
            break;
          }
        }
      }
      return out;
    },
  };
}
export type SyncRooms = ReturnType<typeof createSyncRooms>;
