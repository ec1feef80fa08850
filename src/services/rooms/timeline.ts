/**
 * Reading a room's timeline for clients: `/messages` (both directions, tokens, filters with
 * lazy-loaded members), `/context`, `/event`, `/timestamp_to_event`. Every event passes the
 * history visibility check before it is served; `/messages` and `/context` leave out events (but
 * state) from users the requester ignores.
 *
 * The same module is the read API the /sync service uses (names follow the spec's sync fields):
 * - `timelineSince(roomId, fromStream, toStream, limit)` newest `limit` timeline events in the
 *   stream range, oldest first, with `limited` when more were skipped;
 * - `stateAtStream(roomId, stream)` / `stateDelta(roomId, fromStream, toStream)` state maps
 *   (`(type, state_key)` -> event id) and what changed between two positions;
 * - `prevBatchFor(row)` the `/messages` token just before an event (a timeline's `prev_batch`);
 * - visibility and formatting come from `visibility.filterVisible` and `clientEvents.formatAll`.
 */
import { checkFilter, compileFilter, type RoomEventFilterJson, type RoomEventMatcher } from "../../core/filter";
import { stateKeyOf, type JsonObject, type StateKey } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventRow, TopologicalPosition } from "../../storage/events";
import type { Requester } from "../accounts/access-tokens";
import { isIgnored } from "../accounts/ignored-users";
import type { ClientEvents } from "./client-events";
import { invalidParam, notFound } from "../matrix-error";
import { END, START, formatToken, parseToken, positionAfter, positionBefore } from "./pagination";
import { diffState, type StateMap, type StateService } from "./state";
import type { Visibility } from "./visibility";
import { relationsPointingAt } from "../relations/related-by";

/** Rows read per query while a filter or visibility skips events. */
const SCAN_BATCH = 100;
/** Upper bound on rows one request scans, so a filter matching nothing cannot walk a huge room. */
const SCAN_LIMIT = 5_000;
export const MAX_LIMIT = 1_000;

export interface MessagesQuery {
  dir: "b" | "f";
  from?: string;
  to?: string;
  limit?: number;
  filter?: string;
}

/** Parses the `filter` query parameter (a RoomEventFilter as JSON). */
export function parseRoomEventFilter(raw: string | undefined): RoomEventMatcher {
  if (raw === undefined || raw === "") return compileFilter(undefined).room.timeline;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw invalidParam("filter is not valid JSON");
  }
  const checked = checkFilter({ room: { timeline: json } });
  if (!checked.ok) throw invalidParam(checked.error);
  return compileFilter({ room: { timeline: json as RoomEventFilterJson } }).room.timeline;
}

export function createTimeline(deps: {
  storage: Storage;
  state: StateService;
  visibility: Visibility;
  clientEvents: ClientEvents;
}) {
  const { storage, state, visibility, clientEvents } = deps;

  const filterable = (row: EventRow) => ({
    type: row.type,
    sender: row.sender,
    room_id: row.room_id,
    content: clientEvents.visiblePdu(row).content,
  });

  /** Walks from `from` towards `to`, keeping visible events the filter matches, up to `limit`. */
  function scan(userId: string, roomId: string, dir: "b" | "f", from: TopologicalPosition, to: TopologicalPosition, limit: number, matcher: RoomEventMatcher) {
    const kept: EventRow[] = [];
    let position = from;
    let exhausted = false;
    let scanned = 0;
    const ignored = storage.ignoredUsers.ignoredBy(userId);
    while (kept.length < limit && scanned < SCAN_LIMIT) {
      const want = Math.min(SCAN_BATCH, Math.max(limit - kept.length, 1) * 2);
      const rows = dir === "b" ? storage.events.backwards(roomId, position, to, want) : storage.events.forwards(roomId, position, to, want);
      if (rows.length === 0) {
        exhausted = true;
        break;
      }
      scanned += rows.length;
      const visible = new Set(visibility.filterVisible(userId, rows));
      const relations = matcher.needsRelations ? relationsPointingAt(storage, rows) : undefined;
      for (const row of rows) {
        position = dir === "b" ? positionBefore(row) : positionAfter(row);
        if (visible.has(row) && !isIgnored(row, ignored) && matcher.matches({ ...filterable(row), relations: relations?.get(row.event_id) })) kept.push(row);
        if (kept.length === limit) break;
      }
      if (rows.length < want && kept.length < limit) {
        exhausted = true;
        break;
      }
    }
    return { rows: kept, next: position, exhausted };
  }

  /** The visible events just before and just after `row` that the filter matches. */
  function around(userId: string, row: EventRow, beforeLimit: number, afterLimit: number, matcher: RoomEventMatcher) {
    return {
      before: scan(userId, row.room_id, "b", positionBefore(row), START, beforeLimit, matcher),
      after: scan(userId, row.room_id, "f", positionAfter(row), END, afterLimit, matcher),
    };
  }

  /** The member events (at `at`) of the senders of `rows`: what lazy-loading clients need. */
  function membersFor(rows: readonly EventRow[], at: StateMap, viewer: Requester): JsonObject[] {
    const ids = new Set<string>();
    for (const row of rows) {
      const id = at.get(stateKeyOf("m.room.member", row.sender));
      if (id !== undefined) ids.add(id);
    }
    const members = [...ids].map((id) => storage.events.get(id)).filter((r): r is EventRow => r !== null);
    return clientEvents.formatAll(members, viewer);
  }

  /** The room's state after the last event persisted at or before `stream` (empty before any). */
  const stateAtStream = (roomId: string, stream: number): StateMap => {
    const rows = storage.events.streamRangeDesc(roomId, 0, stream, 1);
    return rows[0] ? stateAfterRow(rows[0]) : new Map();
  };

  const stateAfterRow = (row: EventRow): StateMap => (row.state_after === null ? new Map() : state.stateOfGroup(row.state_after));

  const clampLimit = (limit: number | undefined, fallback: number) => Math.min(Math.max(limit ?? fallback, 0), MAX_LIMIT);

  return {
    /** GET /rooms/{roomId}/messages */
    messages(requester: Requester, roomId: string, q: MessagesQuery): JsonObject {
      visibility.readableState(requester.userId, roomId);
      const matcher = parseRoomEventFilter(q.filter);
      const limit = clampLimit(matcher.limit !== undefined && q.limit === undefined ? matcher.limit : q.limit, 10);
      const from = q.from !== undefined ? parseToken(storage, roomId, q.from) : q.dir === "b" ? END : START;
      const to = q.to !== undefined ? parseToken(storage, roomId, q.to) : q.dir === "b" ? START : END;
      const { rows, next, exhausted } = scan(requester.userId, roomId, q.dir, from, to, limit, matcher);
      // Without `from`, `start` names where the walk began: after the newest event, or before the first.
      const latest = q.from === undefined && q.dir === "b" ? storage.events.backwards(roomId, END, START, 1)[0] : undefined;
      const out: JsonObject = {
        start: q.from ?? formatToken(latest ? positionAfter(latest) : from),
        chunk: clientEvents.formatTimeline(rows, requester),
      };
      if (!exhausted) out.end = formatToken(next);
      if (matcher.lazyLoadMembers && rows.length > 0) out.state = membersFor(rows, stateAfterRow(rows[0]!), requester);
      return out;
    },

    /** GET /rooms/{roomId}/context/{eventId} */
    context(requester: Requester, roomId: string, eventId: string, limitParam: number | undefined, filter: string | undefined): JsonObject {
      visibility.readableState(requester.userId, roomId);
      const row = storage.events.get(eventId);
      if (!row || row.room_id !== roomId || !visibility.canSee(requester.userId, row)) throw notFound("Event not found");
      const matcher = parseRoomEventFilter(filter);
      const limit = clampLimit(limitParam, 10);
      const beforeLimit = Math.floor(limit / 2);
      const { before, after } = around(requester.userId, row, beforeLimit, limit - beforeLimit, matcher);
      const last = after.rows.at(-1) ?? row;
      const lastState = stateAfterRow(last);
      const all = [...before.rows, row, ...after.rows];
      let stateEvents: JsonObject[];
      if (matcher.lazyLoadMembers) stateEvents = membersFor(all, lastState, requester);
      else {
        const rows = [...lastState.values()].map((id) => storage.events.get(id)).filter((r): r is EventRow => r !== null);
        stateEvents = clientEvents.formatAll(rows, requester);
      }
      // events_before runs newest first; one page of aggregations for all three parts.
      const served = clientEvents.formatTimeline([row, ...before.rows, ...after.rows], requester);
      return {
        start: formatToken(before.next),
        end: formatToken(after.next),
        event: served[0]!,
        events_before: served.slice(1, 1 + before.rows.length),
        events_after: served.slice(1 + before.rows.length),
        state: stateEvents,
      };
    },

    /** GET /rooms/{roomId}/event/{eventId}: 404 for events the requester may not see, in rooms they may not read too (as the spec lists). */
    getEvent(requester: Requester, roomId: string, eventId: string): JsonObject {
      if (!visibility.mayRead(requester.userId, roomId)) throw notFound("Event not found");
      const row = storage.events.get(eventId);
      if (!row || row.room_id !== roomId || row.outlier || row.rejected_reason !== null || row.soft_failed) throw notFound("Event not found");
      if (!visibility.canSee(requester.userId, row)) throw notFound("Event not found");
      return clientEvents.formatTimeline([row], requester)[0]!;
    },

    /** GET /v1/rooms/{roomId}/timestamp_to_event: the closest visible event in the given direction. */
    timestampToEvent(requester: Requester, roomId: string, ts: number, dir: "b" | "f"): JsonObject {
      visibility.readableState(requester.userId, roomId);
      const row = storage.events.closestByTimestamp(roomId, ts, dir);
      if (!row || !visibility.canSee(requester.userId, row)) throw notFound(`No event found ${dir === "b" ? "before" : "after"} ${ts}`);
      return { event_id: row.event_id, origin_server_ts: row.origin_server_ts };
    },

    /**
     * Up to `beforeLimit` and `afterLimit` visible events around `row` (before: newest first, as
     * `/context` gives them; after: oldest first), with the `/messages` tokens where they end:
     * a search result's `context`.
     */
    surrounding(requester: Requester, row: EventRow, beforeLimit: number, afterLimit: number): { before: EventRow[]; after: EventRow[]; start: string; end: string } {
      const { before, after } = around(requester.userId, row, clampLimit(beforeLimit, 5), clampLimit(afterLimit, 5), compileFilter(undefined).room.timeline);
      return { before: before.rows, after: after.rows, start: formatToken(before.next), end: formatToken(after.next) };
    },

    // ---- read API for /sync ----

    /** The newest `limit` timeline events with `fromStream < stream <= toStream`, oldest first. */
    timelineSince(roomId: string, fromStream: number, toStream: number, limit: number): { events: EventRow[]; limited: boolean } {
      const rows = storage.events.streamRangeDesc(roomId, fromStream, toStream, limit + 1);
      const limited = rows.length > limit;
      return { events: rows.slice(0, limit).reverse(), limited };
    },

    stateAtStream,

    /** The entries whose event changed between two stream positions (removed keys map to null). */
    stateDelta(roomId: string, fromStream: number, toStream: number): Map<StateKey, string | null> {
      return diffState(stateAtStream(roomId, fromStream), stateAtStream(roomId, toStream));
    },

    /** The `/messages` token just before `row` (a timeline's `prev_batch`). */
    prevBatchFor(row: EventRow): string {
      return formatToken(positionBefore(row));
    },
  };
}
export type Timeline = ReturnType<typeof createTimeline>;
