/**
 * Client filters (spec "Filtering"): validation of the filter JSON a client uploads or passes inline,
 * and its compiled form that `/sync` (and `/messages`) apply to events. Type patterns take `*` as a
 * wildcard for any run of characters; a `not_*` list always wins over its positive list; an absent
 * list allows everything.
 */
import type { JsonObject, JsonValue } from "./types";
import { splitDotPath } from "./dot-path";

export interface EventFilterJson {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
}

export interface RoomEventFilterJson extends EventFilterJson {
  rooms?: string[];
  not_rooms?: string[];
  contains_url?: boolean;
  lazy_load_members?: boolean;
  include_redundant_members?: boolean;
  unread_thread_notifications?: boolean;
  /** Since v1.4: events some relation of one of these types points at. */
  related_by_rel_types?: string[];
  /** Since v1.4: events some relation from one of these senders points at. */
  related_by_senders?: string[];
}

export interface RoomFilterJson {
  rooms?: string[];
  not_rooms?: string[];
  include_leave?: boolean;
  ephemeral?: RoomEventFilterJson;
  state?: RoomEventFilterJson;
  timeline?: RoomEventFilterJson;
  account_data?: RoomEventFilterJson;
}

export interface FilterJson {
  event_fields?: string[];
  event_format?: "client" | "federation";
  presence?: EventFilterJson;
  account_data?: EventFilterJson;
  room?: RoomFilterJson;
}

/** What a filter looks at in an event; ephemeral and account data events may lack a sender. */
export interface FilterableEvent {
  type: string;
  sender?: string;
  room_id?: string;
  content?: JsonObject;
  /** The relations pointing at the event, for filters with `related_by_*` (`needsRelations`). */
  relations?: readonly { relType: string; sender: string }[];
}

export interface EventMatcher {
  /** The client's `limit`, if it gave one. */
  readonly limit: number | undefined;
  matches(event: FilterableEvent): boolean;
}

export interface RoomEventMatcher extends EventMatcher {
  allowsRoom(roomId: string): boolean;
  readonly lazyLoadMembers: boolean;
  readonly includeRedundantMembers: boolean;
  readonly unreadThreadNotifications: boolean;
  /** Whether `matches` needs the event's `relations` (the filter has `related_by_*`). */
  readonly needsRelations: boolean;
}

export interface CompiledFilter {
  /** Property paths to keep, already split; undefined keeps every field. */
  readonly eventFields: string[][] | undefined;
  readonly eventFormat: "client" | "federation";
  readonly presence: EventMatcher;
  readonly accountData: EventMatcher;
  readonly room: {
    allowsRoom(roomId: string): boolean;
    readonly includeLeave: boolean;
    readonly ephemeral: RoomEventMatcher;
    readonly state: RoomEventMatcher;
    readonly timeline: RoomEventMatcher;
    readonly accountData: RoomEventMatcher;
  };
}

export type FilterCheck = { ok: true; filter: FilterJson } | { ok: false; error: string };

const eventLists = ["types", "not_types", "senders", "not_senders"] as const;
const roomLists = ["rooms", "not_rooms"] as const;
const roomEventLists = [...roomLists, "related_by_rel_types", "related_by_senders"] as const;
const roomEventFlags = ["contains_url", "lazy_load_members", "include_redundant_members", "unread_thread_notifications"] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkStringList(v: unknown, where: string, prefix?: string): string | undefined {
  if (!Array.isArray(v)) return `${where} must be an array of strings`;
  for (const item of v) {
    if (typeof item !== "string") return `${where} must be an array of strings`;
    if (prefix && !item.startsWith(prefix)) return `${where} entries must start with '${prefix}'`;
  }
  return undefined;
}

function listPrefix(key: string): string | undefined {
  if (key.endsWith("senders")) return "@";
  if (key === "related_by_rel_types") return undefined;
  if (key.endsWith("rooms")) return "!";
  return undefined;
}

function checkEventFilter(v: unknown, where: string, room: boolean): string | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) return `${where} must be an object`;
  const limit = v.limit;
  if (limit !== undefined && (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0)) {
    return `${where}.limit must be a positive integer`;
  }
  const lists: readonly string[] = room ? [...eventLists, ...roomEventLists] : eventLists;
  for (const key of lists) {
    if (v[key] === undefined) continue;
    const err = checkStringList(v[key], `${where}.${key}`, listPrefix(key));
    if (err) return err;
  }
  if (room) {
    for (const key of roomEventFlags) {
      if (v[key] !== undefined && typeof v[key] !== "boolean") return `${where}.${key} must be a boolean`;
    }
  }
  return undefined;
}

/** Checks a filter's shape; unknown keys are allowed and ignored, as in every Matrix object. */
export function checkFilter(v: unknown): FilterCheck {
  if (!isObject(v)) return { ok: false, error: "filter must be a JSON object" };
  if (v.event_fields !== undefined) {
    const err = checkStringList(v.event_fields, "event_fields");
    if (err) return { ok: false, error: err };
  }
  if (v.event_format !== undefined && v.event_format !== "client" && v.event_format !== "federation") {
    return { ok: false, error: "event_format must be 'client' or 'federation'" };
  }
  for (const key of ["presence", "account_data"] as const) {
    const err = checkEventFilter(v[key], key, false);
    if (err) return { ok: false, error: err };
  }
  const room = v.room;
  if (room !== undefined) {
    if (!isObject(room)) return { ok: false, error: "room must be an object" };
    for (const key of roomLists) {
      if (room[key] === undefined) continue;
      const err = checkStringList(room[key], `room.${key}`, "!");
      if (err) return { ok: false, error: err };
    }
    if (room.include_leave !== undefined && typeof room.include_leave !== "boolean") {
      return { ok: false, error: "room.include_leave must be a boolean" };
    }
    for (const key of ["ephemeral", "state", "timeline", "account_data"] as const) {
      const err = checkEventFilter(room[key], `room.${key}`, true);
      if (err) return { ok: false, error: err };
    }
  }
  return { ok: true, filter: v as FilterJson };
}

/** Turns a type pattern with `*` wildcards into a matcher; plain types compare directly. */
function typeMatcher(pattern: string): (type: string) => boolean {
  if (!pattern.includes("*")) return (type) => type === pattern;
  const source = pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  const re = new RegExp(`^${source}$`, "s");
  return (type) => re.test(type);
}

function anyType(patterns: string[] | undefined): ((type: string) => boolean) | undefined {
  if (!patterns) return undefined;
  const matchers = patterns.map(typeMatcher);
  return (type) => matchers.some((m) => m(type));
}

function setOf(list: string[] | undefined): Set<string> | undefined {
  return list ? new Set(list) : undefined;
}

function compileEventMatcher(f: EventFilterJson | undefined): EventMatcher {
  const types = anyType(f?.types);
  const notTypes = anyType(f?.not_types);
  const senders = setOf(f?.senders);
  const notSenders = setOf(f?.not_senders);
  return {
    limit: f?.limit,
    matches(event) {
      if (notTypes?.(event.type)) return false;
      if (types && !types(event.type)) return false;
      const sender = event.sender;
      if (sender !== undefined && notSenders?.has(sender)) return false;
      if (senders && (sender === undefined || !senders.has(sender))) return false;
      return true;
    },
  };
}

function compileRoomsCheck(rooms: string[] | undefined, notRooms: string[] | undefined): (roomId: string) => boolean {
  const allow = setOf(rooms);
  const deny = setOf(notRooms);
  return (roomId) => !deny?.has(roomId) && (!allow || allow.has(roomId));
}

function compileRoomEventMatcher(f: RoomEventFilterJson | undefined): RoomEventMatcher {
  const base = compileEventMatcher(f);
  const allowsRoom = compileRoomsCheck(f?.rooms, f?.not_rooms);
  const containsUrl = f?.contains_url;
  const relTypes = setOf(f?.related_by_rel_types);
  const relSenders = setOf(f?.related_by_senders);
  const needsRelations = relTypes !== undefined || relSenders !== undefined;
  // Both lists must hold for one and the same relation.
  const relatedAsAsked = (relations: FilterableEvent["relations"]) =>
    (relations ?? []).some((r) => (!relTypes || relTypes.has(r.relType)) && (!relSenders || relSenders.has(r.sender)));
  return {
    limit: base.limit,
    allowsRoom,
    lazyLoadMembers: f?.lazy_load_members === true,
    includeRedundantMembers: f?.include_redundant_members === true,
    unreadThreadNotifications: f?.unread_thread_notifications === true,
    needsRelations,
    matches(event) {
      if (event.room_id !== undefined && !allowsRoom(event.room_id)) return false;
      if (containsUrl !== undefined && (typeof event.content?.url === "string") !== containsUrl) return false;
      if (needsRelations && !relatedAsAsked(event.relations)) return false;
      return base.matches(event);
    },
  };
}

/** Compiles a checked filter; `undefined` gives the filter that allows everything. */
export function compileFilter(f: FilterJson | undefined): CompiledFilter {
  const room = f?.room;
  return {
    eventFields: f?.event_fields?.map(splitDotPath),
    eventFormat: f?.event_format ?? "client",
    presence: compileEventMatcher(f?.presence),
    accountData: compileEventMatcher(f?.account_data),
    room: {
      allowsRoom: compileRoomsCheck(room?.rooms, room?.not_rooms),
      includeLeave: room?.include_leave === true,
      ephemeral: compileRoomEventMatcher(room?.ephemeral),
      state: compileRoomEventMatcher(room?.state),
      timeline: compileRoomEventMatcher(room?.timeline),
      accountData: compileRoomEventMatcher(room?.account_data),
    },
  };
}

/** Keeps only the listed property paths of an event (`event_fields`). */
export function projectEventFields(event: JsonObject, paths: readonly string[][]): JsonObject {
  const out: JsonObject = {};
  for (const path of paths) {
    let from: JsonValue | undefined = event;
    for (const name of path) {
      from = isObject(from) && Object.hasOwn(from, name) ? (from as JsonObject)[name] : undefined;
      if (from === undefined) break;
    }
    if (from === undefined) continue;
    let into = out;
    for (let i = 0; i < path.length - 1; i++) {
      const name = path[i]!;
      const next = Object.hasOwn(into, name) ? into[name] : undefined;
      into = isObject(next) ? (next as JsonObject) : setOwn(into, name, {});
    }
    setOwn(into, path[path.length - 1]!, from);
  }
  return out;
}

/** Defines an own property, so a name such as `__proto__` stays data and never a prototype. */
function setOwn<T extends JsonValue>(target: JsonObject, name: string, value: T): T {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  return value;
}
