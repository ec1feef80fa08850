/**
 * One room of a sliding sync response (MSC4186 "Room results"): everything on the first time a
 * connection sees the room (`initial`), afterwards only what changed since it was last sent —
 * new timeline events (more when the config's `timeline_limit` grew: `expanded_timeline`),
 * state changes among the `required_state` asked for (and state the config newly asks for),
 * name, avatar, heroes, counts, `bump_stamp` and `is_dm` when they moved. Invites and knocks
 * carry the stripped state. Unread counts are the push area's stored counters.
 */
import { compileFilter, type RoomEventMatcher } from "../../../core/filter";
import { stateKeyOf, type JsonObject, type StateKey } from "../../../core/types";
import type { Storage } from "../../../storage";
import type { UnreadCounts } from "../../push/unread-counts";
import type { ClientEvents } from "../../rooms/client-events";
import type { StateMap } from "../../rooms/state";
import type { Timeline } from "../../rooms/timeline";
import type { SyncRooms, TimelineBatch } from "../rooms-section";
import type { SentRoom } from "./connections";
import { combineRequiredState, type StateWanted } from "./required-state";
import type { Dialect, RequiredState } from "./request";
import type { RoomEntry } from "./room-list";

/** A room the request's lists or subscriptions matched, with its combined config. */
export interface RoomJob {
  entry: RoomEntry;
  lists: string[];
  timelineLimit: number;
  requiredState: RequiredState[];
}

/** What every room of one response shares. */
export interface ResponseContext {
  userId: string;
  deviceId: string;
  dialect: Dialect;
  /** The room events position the response ends at. */
  to: number;
  /** Where the previous response ended: events after it are live (`num_live`). */
  liveFrom: number | undefined;
  /** The response's sync token, `prev_batch` of a room with an empty timeline. */
  nextBatch: string;
  dmRooms: ReadonlySet<string>;
  /** Rooms where the user's own receipts moved since the previous response (their counts may have). */
  readRooms: ReadonlySet<string>;
  /** The users the user ignores (spec "Ignoring Users"): their events stay out of timelines. */
  ignored: ReadonlySet<string>;
}

export interface RoomOutcome {
  /** The room's entry in `rooms`, when there is something to send. */
  result?: JsonObject;
  /** The record to keep for the connection, when it changed. */
  sent?: SentRoom;
  initial: boolean;
}

const nameKey = stateKeyOf("m.room.name", "");
const avatarKey = stateKeyOf("m.room.avatar", "");

function splitKey(key: StateKey): [type: string, stateKey: string] {
  const i = key.indexOf("\u0000");
  return [key.slice(0, i), key.slice(i + 1)];
}

export function createRoomResults(deps: {
  storage: Storage;
  rooms: Pick<SyncRooms, "readTimeline" | "strippedState" | "heroesOf">;
  timeline: Pick<Timeline, "stateAtStream" | "prevBatchFor">;
  clientEvents: Pick<ClientEvents, "format" | "formatTimeline" | "visiblePdu">;
  unread: Pick<UnreadCounts, "forSync">;
}) {
  const { storage, rooms, timeline, clientEvents, unread } = deps;
  const matchers = new Map<number, RoomEventMatcher>();

  function matcherFor(limit: number): RoomEventMatcher {
    let m = matchers.get(limit);
    if (!m) matchers.set(limit, (m = compileFilter({ room: { timeline: { limit } } }).room.timeline));
    return m;
  }

  function content(eventId: string | undefined): JsonObject | undefined {
    if (eventId === undefined) return undefined;
    const row = storage.events.get(eventId);
    return row ? clientEvents.visiblePdu(row).content : undefined;
  }

  const text = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

  function heroes(userId: string, roomId: string, state: StateMap): JsonObject[] {
    return rooms.heroesOf(userId, roomId).map((id) => {
      const member = content(state.get(stateKeyOf("m.room.member", id)));
      const hero: JsonObject = { user_id: id };
      const name = text(member?.displayname);
      const avatar = text(member?.avatar_url);
      if (name !== null) hero.displayname = name;
      if (avatar !== null) hero.avatar_url = avatar;
      return hero;
    });
  }

  /** `required_state`: all wanted state when `before` is undefined, else what changed or is newly wanted. */
  function stateOut(
    ctx: ResponseContext,
    state: StateMap,
    wanted: StateWanted,
    before: { state: StateMap; wanted: StateWanted } | undefined,
    batch: TimelineBatch,
    refreshMembers: boolean,
  ): Map<StateKey, string | null> {
    const chosen = new Map<StateKey, string | null>();
    for (const [key, id] of state) {
      const [type, stateKey] = splitKey(key);
      if (!wanted.matches(type, stateKey)) continue;
      if (!before || before.state.get(key) !== id || !before.wanted.matches(type, stateKey)) chosen.set(key, id);
    }
    if (before) {
      for (const key of before.state.keys()) {
        if (state.has(key)) continue;
        const [type, stateKey] = splitKey(key);
        if (wanted.matches(type, stateKey) && before.wanted.matches(type, stateKey)) chosen.set(key, null);
      }
    }
    if (wanted.lazyMembers) {
      // MSC4186 lazy members: the timeline's senders and membership targets; after a gap (the
      // client drops its member cache) or on a first send, whatever they were sent before.
      const members = new Set<string>();
      for (const row of batch.rows) {
        members.add(row.sender);
        if (row.type === "m.room.member" && row.state_key !== null) members.add(row.state_key);
      }
      for (const member of members) {
        const key = stateKeyOf("m.room.member", member);
        const id = state.get(key);
        if (id !== undefined && (refreshMembers || before?.state.get(key) !== id)) chosen.set(key, id);
      }
      // Without a gap, every membership change since the last send (so clients can cache members).
      if (before && !batch.limited) {
        for (const [key, id] of state) if (key.startsWith("m.room.member\u0000") && before.state.get(key) !== id) chosen.set(key, id);
      }
    }
    return chosen;
  }

  function formatState(ctx: ResponseContext, chosen: Map<StateKey, string | null>): JsonObject[] {
    const out: JsonObject[] = [];
    for (const [key, id] of chosen) {
      if (id === null) {
        // A removed entry: the merged MSC's stub; the unstable shape has none (clients parse events only).
        if (ctx.dialect === "v4") {
          const [type, stateKey] = splitKey(key);
          out.push({ type, state_key: stateKey });
        }
        continue;
      }
      const row = storage.events.get(id);
      if (row) out.push(clientEvents.format(row, { userId: ctx.userId, deviceId: ctx.deviceId }, { omitRoomId: true }));
    }
    return out;
  }

  function invited(job: RoomJob, prev: SentRoom | undefined, initial: boolean, ctx: ResponseContext): RoomOutcome {
    const m = job.entry.membership;
    if (!initial) return { initial };
    const result: JsonObject = {
      initial: true,
      membership: m.membership,
      bump_stamp: job.entry.bump,
      [ctx.dialect === "unstable" ? (m.membership === "knock" ? "knock_state" : "invite_state") : "stripped_state"]: rooms.strippedState(m),
    };
    if (job.lists.length > 0) result.lists = job.lists;
    const dm = ctx.dmRooms.has(m.room_id);
    if (dm) result.is_dm = true;
    return { initial, result, sent: { membership: m.membership, at: m.stream_ordering, timelineLimit: job.timelineLimit, requiredState: job.requiredState, bump: job.entry.bump, dm } };
  }

  return {
    /** The room's part of the response given what the connection holds of it (`prev`). */
    compute(job: RoomJob, prev: SentRoom | undefined, ctx: ResponseContext): RoomOutcome {
      const { entry } = job;
      const m = entry.membership;
      const roomId = m.room_id;
      const left = m.membership === "leave" || m.membership === "ban";
      // A first send, or the client's picture is of another membership (an invite, a room left
      // and joined again); a kick or leave continues the joined room's timeline up to it.
      const initial = !prev || (prev.membership !== m.membership && !(prev.membership === "join" && left));
      if (m.membership !== "join" && !left) return invited(job, prev, initial, ctx);

      const dm = ctx.dmRooms.has(roomId);
      const configChanged = prev !== undefined && (job.timelineLimit > prev.timelineLimit || JSON.stringify(job.requiredState) !== JSON.stringify(prev.requiredState));
      if (!initial && prev && !configChanged && prev.at >= entry.latest && prev.dm === dm && prev.bump === entry.bump && !ctx.readRooms.has(roomId)) {
        return { initial };
      }

      const until = left ? Math.min(m.stream_ordering, ctx.to) : ctx.to;
      const expanded = !initial && prev !== undefined && job.timelineLimit > prev.timelineLimit;
      const from = initial || expanded || !prev ? 0 : prev.at;
      const batch: TimelineBatch = until > from ? rooms.readTimeline(ctx, roomId, from, until, matcherFor(job.timelineLimit)) : { rows: [], limited: false };
      const state = timeline.stateAtStream(roomId, until);
      const wanted = combineRequiredState(job.requiredState, ctx.userId);
      const before = initial || !prev ? undefined : { state: timeline.stateAtStream(roomId, prev.at), wanted: combineRequiredState(prev.requiredState, ctx.userId) };
      const chosen = stateOut(ctx, state, wanted, before, batch, initial || batch.limited || expanded);

      const name = text(content(state.get(nameKey))?.name);
      const avatar = text(content(state.get(avatarKey))?.url);
      const heroList = name === null ? JSON.stringify(heroes(ctx.userId, roomId, state)) : undefined;
      const joined = storage.memberships.count(roomId, "join");
      const invitedCount = storage.memberships.count(roomId, "invite");
      const counts = m.membership === "join" ? unread.forSync(roomId, ctx.userId, false).unread_notifications : undefined;
      const countPair: [number, number] | undefined = counts && [counts.notification_count, counts.highlight_count];

      const result: JsonObject = {};
      const changed = (a: unknown, b: unknown) => initial || JSON.stringify(a) !== JSON.stringify(b);
      if (initial) result.initial = true;
      if (changed(m.membership, prev?.membership)) result.membership = m.membership;
      if (changed(name, prev?.name) && (name !== null || !initial)) result.name = name;
      if (changed(avatar, prev?.avatar) && (avatar !== null || !initial)) result.avatar = avatar;
      if (heroList !== undefined && changed(heroList, prev?.heroes)) result.heroes = JSON.parse(heroList) as JsonObject[];
      if (initial ? dm : dm !== prev?.dm) result.is_dm = dm;
      if (changed(entry.bump, prev?.bump)) result.bump_stamp = entry.bump;
      if (changed(joined, prev?.joined)) result.joined_count = joined;
      if (changed(invitedCount, prev?.invited)) result.invited_count = invitedCount;
      if (ctx.dialect === "unstable" && counts && changed(countPair, prev?.counts)) {
        result.notification_count = counts.notification_count;
        result.highlight_count = counts.highlight_count;
      }
      const stateEvents = formatState(ctx, chosen);
      if (stateEvents.length > 0) result.required_state = stateEvents;
      const fieldsOnly = Object.keys(result).length;
      if (batch.rows.length > 0 || initial) {
        result.timeline = clientEvents.formatTimeline(batch.rows, { userId: ctx.userId, deviceId: ctx.deviceId }, { omitRoomId: true });
        result.num_live = ctx.liveFrom === undefined ? 0 : batch.rows.filter((r) => r.stream_ordering > ctx.liveFrom!).length;
        result.prev_batch = batch.rows[0] ? timeline.prevBatchFor(batch.rows[0]) : ctx.nextBatch;
        if (batch.limited) result.limited = true;
        if (expanded && prev && batch.rows.some((r) => r.stream_ordering <= prev.at)) result[ctx.dialect === "unstable" ? "unstable_expanded_timeline" : "expanded_timeline"] = true;
      }
      if (job.lists.length > 0) result.lists = job.lists;

      const sent: SentRoom = {
        membership: m.membership,
        at: Math.max(until, prev?.at ?? 0),
        timelineLimit: job.timelineLimit,
        requiredState: job.requiredState,
        bump: entry.bump,
        name,
        avatar,
        heroes: heroList,
        joined,
        invited: invitedCount,
        counts: countPair,
        dm,
      };
      const anything = initial || fieldsOnly > 0 || batch.rows.length > 0;
      return { initial, result: anything ? result : undefined, sent };
    },
  };
}
export type RoomResults = ReturnType<typeof createRoomResults>;
