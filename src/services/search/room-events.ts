/**
 * `POST /search` for the `room_events` category (spec "Server Side Search"): full-text search of
 * the rooms the requester is or was in, through the index the persister keeps. Hits pass the
 * request's filter, the history visibility of each event and the requester's ignore list before
 * they are served; `count`
 * is the number of indexed matches before those checks. Pages: `next_batch` holds the order, the
 * position reached and, for a group's own `next_batch`, the room or sender it is restricted to.
 */
import { checkFilter, compileFilter, type RoomEventFilterJson, type RoomEventMatcher } from "../../core/filter";
import { matchedWords, parseSearchTerm, type ParsedSearch } from "../../core/search/text";
import { isJsonObject, stateKeyOf, type JsonObject, type JsonValue } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventRow } from "../../storage/events";
import type { SearchColumn, SearchHit, SearchQuery } from "../../storage/search";
import type { Requester } from "../accounts/access-tokens";
import { isIgnored } from "../accounts/ignored-users";
import { badJson, invalidParam, missingParam } from "../matrix-error";
import type { ClientEvents } from "../rooms/client-events";
import type { EventStore } from "../rooms/event-store";
import type { StateService } from "../rooms/state";
import type { Timeline } from "../rooms/timeline";
import type { Visibility } from "../rooms/visibility";

const KEYS: Record<string, SearchColumn> = { "content.body": "body", "content.name": "name", "content.topic": "topic" };
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;
/** Index rows one request reads at most while visibility and filters skip hits. */
const SCAN_LIMIT = 2_000;

type Order = "rank" | "recent";
type GroupKey = "room_id" | "sender";

/** Where a page starts: an offset into the ranked hits, or the stream ordering to read below. */
interface Cursor {
  order: Order;
  position: number;
  /** Restricts the search to one group (a group's `next_batch`). */
  group?: { key: GroupKey; value: string };
}

interface RoomEventsRequest {
  search: ParsedSearch;
  columns: SearchColumn[];
  matcher: RoomEventMatcher;
  limit: number;
  order: Order;
  context?: { before: number; after: number; profile: boolean };
  includeState: boolean;
  groupBy: GroupKey[];
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.order, c.position, c.group?.key ?? null, c.group?.value ?? null])).toString("base64url");
}

function decodeCursor(token: string, order: Order): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalidParam("next_batch is not a token this server gave");
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw invalidParam("next_batch is not a token this server gave");
  const [o, position, key, value] = parsed as unknown[];
  if (o !== order) throw invalidParam("next_batch was given for another order_by");
  if (typeof position !== "number" || !Number.isSafeInteger(position)) throw invalidParam("next_batch is not a token this server gave");
  if (key === null) return { order, position };
  if ((key !== "room_id" && key !== "sender") || typeof value !== "string") throw invalidParam("next_batch is not a token this server gave");
  return { order, position, group: { key, value } };
}

const nonNegativeInt = (v: unknown, name: string, fallback: number): number => {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw invalidParam(`${name} must be a non-negative integer`);
  return v;
};

/** Checks the `room_events` criteria; every refusal leaves nothing changed (search writes nothing). */
function readRequest(criteria: JsonValue): RoomEventsRequest {
  if (!isJsonObject(criteria)) throw badJson("room_events must be an object");
  const { search_term, keys, filter, order_by, event_context, include_state, groupings } = criteria;
  if (search_term === undefined) throw missingParam("room_events.search_term is required");
  if (typeof search_term !== "string") throw badJson("search_term must be a string");
  const search = parseSearchTerm(search_term);
  if (!search) throw invalidParam("search_term has nothing to search for");

  let columns = Object.values(KEYS);
  if (keys !== undefined) {
    if (!Array.isArray(keys) || keys.length === 0) throw invalidParam("keys must be a non-empty list");
    columns = keys.map((k) => {
      const column = typeof k === "string" ? KEYS[k] : undefined;
      if (!column) throw invalidParam(`keys may hold only ${Object.keys(KEYS).join(", ")}`);
      return column;
    });
  }

  if (filter !== undefined) {
    const checked = checkFilter({ room: { timeline: filter } });
    if (!checked.ok) throw invalidParam(checked.error);
  }
  const matcher = compileFilter(filter === undefined ? undefined : { room: { timeline: filter as RoomEventFilterJson } }).room.timeline;
  const limit = Math.min(Math.max(matcher.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);

  if (order_by !== undefined && order_by !== "rank" && order_by !== "recent") throw invalidParam('order_by must be "rank" or "recent"');

  let context: RoomEventsRequest["context"];
  if (event_context !== undefined) {
    if (!isJsonObject(event_context)) throw badJson("event_context must be an object");
    const { before_limit, after_limit, include_profile } = event_context;
    if (include_profile !== undefined && typeof include_profile !== "boolean") throw badJson("include_profile must be a boolean");
    context = {
      before: Math.min(nonNegativeInt(before_limit, "before_limit", 5), MAX_LIMIT),
      after: Math.min(nonNegativeInt(after_limit, "after_limit", 5), MAX_LIMIT),
      profile: include_profile === true,
    };
  }

  if (include_state !== undefined && typeof include_state !== "boolean") throw badJson("include_state must be a boolean");

  const groupBy: GroupKey[] = [];
  if (groupings !== undefined) {
    if (!isJsonObject(groupings)) throw badJson("groupings must be an object");
    const list = groupings.group_by ?? [];
    if (!Array.isArray(list)) throw badJson("groupings.group_by must be a list");
    for (const g of list) {
      const key = isJsonObject(g) ? g.key : undefined;
      if (key !== "room_id" && key !== "sender") throw invalidParam('a grouping key must be "room_id" or "sender"');
      if (!groupBy.includes(key)) groupBy.push(key);
    }
  }
  return { search, columns, matcher, limit, order: order_by ?? "rank", context, includeState: include_state === true, groupBy };
}

export function createRoomEventSearch(deps: {
  storage: Storage;
  state: StateService;
  eventStore: EventStore;
  visibility: Visibility;
  clientEvents: ClientEvents;
  timeline: Timeline;
}) {
  const { storage, state, eventStore, visibility, clientEvents, timeline } = deps;

  /** Rooms whose history the requester may have seen: every membership they have not forgotten. */
  function searchableRooms(userId: string, req: RoomEventsRequest, cursor: Cursor | undefined): string[] {
    const onlyRoom = cursor?.group?.key === "room_id" ? cursor.group.value : undefined;
    return storage.memberships
      .forUser(userId)
      .map((m) => m.room_id)
      .filter((roomId) => req.matcher.allowsRoom(roomId) && (onlyRoom === undefined || roomId === onlyRoom));
  }

  /** Reads hits from the cursor on until `limit` pass the checks or the index runs out. */
  function collect(requester: Requester, req: RoomEventsRequest, query: SearchQuery, cursor: Cursor) {
    const kept: SearchHit[] = [];
    let position = cursor.position;
    let scanned = 0;
    let exhausted = false;
    const onlySender = cursor.group?.key === "sender" ? cursor.group.value : undefined;
    const ignored = storage.ignoredUsers.ignoredBy(requester.userId);
    while (kept.length < req.limit && scanned < SCAN_LIMIT) {
      const want = Math.min(MAX_LIMIT, Math.max(req.limit - kept.length, 1) * 2);
      const hits = cursor.order === "rank" ? storage.search.byRank(query, position, want) : storage.search.byRecent(query, position, want);
      for (const hit of hits) {
        scanned++;
        position = cursor.order === "rank" ? position + 1 : hit.stream_ordering;
        const content = clientEvents.visiblePdu(hit).content;
        const passes = (onlySender === undefined || hit.sender === onlySender) && !isIgnored(hit, ignored) &&
          req.matcher.matches({ type: hit.type, sender: hit.sender, room_id: hit.room_id, content }) &&
          visibility.canSee(requester.userId, hit);
        if (passes) kept.push(hit);
        if (kept.length === req.limit) break;
      }
      if (hits.length < want && kept.length < req.limit) {
        exhausted = true;
        break;
      }
    }
    return { kept, next: exhausted ? undefined : { ...cursor, position } };
  }

  /** `profile_info`: each sender's display name and avatar as the room state after `row` had them. */
  function profilesAt(row: EventRow, rows: readonly EventRow[]): JsonObject {
    const at = row.state_after === null ? new Map<string, string>() : state.stateOfGroup(row.state_after);
    const profiles: JsonObject = {};
    for (const sender of new Set(rows.map((r) => r.sender))) {
      const id = at.get(stateKeyOf("m.room.member", sender));
      const content = id === undefined ? undefined : eventStore.getPdu(id)?.content;
      if (!content) continue;
      const profile: JsonObject = {};
      if (typeof content.displayname === "string") profile.displayname = content.displayname;
      if (typeof content.avatar_url === "string") profile.avatar_url = content.avatar_url;
      profiles[sender] = profile;
    }
    return profiles;
  }

  function contextOf(requester: Requester, row: EventRow, ctx: NonNullable<RoomEventsRequest["context"]>): JsonObject {
    const around = timeline.surrounding(requester, row, ctx.before, ctx.after);
    const context: JsonObject = {
      start: around.start,
      end: around.end,
      events_before: clientEvents.formatAll(around.before, requester),
      events_after: clientEvents.formatAll(around.after, requester),
    };
    if (ctx.profile) context.profile_info = profilesAt(row, [...around.before, row, ...around.after]);
    return context;
  }

  /** The words clients should highlight: the terms, and the words of the results they matched. */
  function highlightsOf(req: RoomEventsRequest, hits: readonly SearchHit[]): string[] {
    const words = new Set(req.search.terms);
    for (const hit of hits) {
      const content = clientEvents.visiblePdu(hit).content;
      for (const column of req.columns) {
        const text = content[column];
        if (typeof text === "string") for (const w of matchedWords(text, req.search.prefixes)) words.add(w);
      }
    }
    return [...words];
  }

  function roomEvents(requester: Requester, criteria: JsonValue, nextBatch: string | undefined): JsonObject {
    const req = readRequest(criteria);
    const cursor = nextBatch !== undefined ? decodeCursor(nextBatch, req.order) : { order: req.order, position: req.order === "rank" ? 0 : Number.MAX_SAFE_INTEGER };
    const query: SearchQuery = { match: req.search.match, columns: req.columns, roomIds: searchableRooms(requester.userId, req, cursor) };
    const { kept, next } = collect(requester, req, query, cursor);

    const results = kept.map((hit) => {
      const result: JsonObject = { rank: -hit.score, result: clientEvents.format(hit, requester) };
      if (req.context) result.context = contextOf(requester, hit, req.context);
      return result;
    });
    const out: JsonObject = { count: storage.search.count(query), highlights: highlightsOf(req, kept), results };

    if (req.includeState) {
      const roomState: JsonObject = {};
      for (const roomId of new Set(kept.map((h) => h.room_id))) {
        const { group } = visibility.readableState(requester.userId, roomId);
        const rows = [...state.stateOfGroup(group).values()].map((id) => storage.events.get(id)).filter((r): r is EventRow => r !== null);
        roomState[roomId] = clientEvents.formatAll(rows, requester);
      }
      out.state = roomState;
    }

    if (req.groupBy.length > 0) {
      const groups: JsonObject = {};
      for (const key of req.groupBy) {
        const byValue = new Map<string, string[]>();
        for (const hit of kept) {
          const value = key === "room_id" ? hit.room_id : hit.sender;
          byValue.set(value, [...(byValue.get(value) ?? []), hit.event_id]);
        }
        const entries: JsonObject = {};
        let order = 0;
        for (const [value, eventIds] of byValue) {
          const group: JsonObject = { results: eventIds, order: ++order };
          // More of this group may follow this page: its own token reads on within it.
          if (next) group.next_batch = encodeCursor({ ...next, group: { key, value } });
          entries[value] = group;
        }
        groups[key] = entries;
      }
      out.groups = groups;
    }

    if (next) out.next_batch = encodeCursor(next);
    return out;
  }

  return {
    /** POST /search: answers the categories asked for (`room_events` is the one the spec defines). */
    search(requester: Requester, body: unknown, nextBatch: string | undefined): JsonObject {
      if (!isJsonObject(body)) throw badJson("The request body must be a JSON object");
      const categories = body.search_categories;
      if (!isJsonObject(categories)) throw missingParam("search_categories is required");
      const answered: JsonObject = {};
      if (categories.room_events !== undefined) answered.room_events = roomEvents(requester, categories.room_events, nextBatch);
      return { search_categories: answered };
    },
  };
}
export type RoomEventSearch = ReturnType<typeof createRoomEventSearch>;
