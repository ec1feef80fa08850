/**
 * The sliding sync request (MSC4186), read from either wire shape into one form:
 * - `unstable`: `/unstable/org.matrix.simplified_msc3575/sync` as matrix-rust-sdk (Element X)
 *   sends it: `pos`, `timeout`, `set_presence` in the query; `ranges`; `required_state` as
 *   `[type, state_key]` pairs with `*`, `$ME` and `["m.room.member", "$LAZY"]`; `is_invite`.
 * - `v4`: `/v4/sync` as the merged MSC has it: everything in the body; one `range`;
 *   `required_state` as `{include, exclude, lazy_members}`; `is_invited`.
 * Bad input is a 400 naming the field; nothing is stored before the request parsed.
 */
import type { PresenceState } from "../../edus/presence";
import { invalidParam } from "../../matrix-error";

export type Dialect = "unstable" | "v4";

/** `type`/`stateKey` undefined match any; `stateKey` `$ME` is the requesting user. */
export interface StateElement {
  type?: string;
  stateKey?: string;
}

export interface RequiredState {
  include: StateElement[];
  exclude: StateElement[];
  lazyMembers: boolean;
}

export interface RoomConfig {
  timelineLimit: number;
  requiredState: RequiredState;
}

export interface ListFilters {
  isDm?: boolean;
  isEncrypted?: boolean;
  isInvited?: boolean;
  spaces?: string[];
  /** `null` stands for rooms without a type. */
  roomTypes?: (string | null)[];
  notRoomTypes?: (string | null)[];
  tags?: string[];
  notTags?: string[];
}

export interface ListRequest {
  /** Inclusive index ranges into the filtered, ordered rooms; undefined: every room. */
  ranges?: [number, number][];
  config: RoomConfig;
  filters: ListFilters;
}

/** Which rooms an extension covers: undefined fields mean every list, every subscription. */
export interface ExtensionScope {
  lists?: string[];
  /** Room ids; `*` is every subscribed room. */
  rooms?: string[];
}

export interface SlidingRequest {
  dialect: Dialect;
  connId: string;
  pos?: string;
  txnId?: string;
  timeoutMs: number;
  setPresence?: PresenceState;
  lists: Map<string, ListRequest>;
  subscriptions: Map<string, RoomConfig>;
  extensions: {
    toDevice?: { since?: string; limit?: number };
    e2ee: boolean;
    accountData?: ExtensionScope;
    receipts?: ExtensionScope;
    typing?: ExtensionScope;
  };
}

/** The query parameters of the unstable path. */
export interface SlidingQuery {
  pos?: string;
  timeout?: number;
  set_presence?: PresenceState;
}

/** MSC4186: at most 100 lists and 100 room subscriptions. */
const maxLists = 100;
const maxSubscriptions = 100;
/** The most timeline events a room gets in one response. */
export const maxTimelineLimit = 100;
const presenceStates = ["online", "offline", "unavailable"];

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function object(v: unknown, field: string): Json {
  if (v === undefined) return {};
  if (!isObject(v)) throw invalidParam(`${field} must be an object`);
  return v;
}

function optString(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw invalidParam(`${field} must be a string`);
  return v;
}

function optBool(v: unknown, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw invalidParam(`${field} must be a boolean`);
  return v;
}

function count(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw invalidParam(`${field} must be a non-negative integer`);
  return v;
}

function strings(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) throw invalidParam(`${field} must be a list of strings`);
  return v as string[];
}

function roomTypes(v: unknown, field: string): (string | null)[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string" && s !== null)) throw invalidParam(`${field} must be a list of strings or nulls`);
  return v as (string | null)[];
}

function range(v: unknown, field: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw invalidParam(`${field} must be a pair of indices`);
  const from = count(v[0], field);
  const to = count(v[1], field);
  if (to < from) throw invalidParam(`${field} ends before it starts`);
  return [from, to];
}

/** `[type, state_key]` pairs: `*` matches any, `["m.room.member", "$LAZY"]` asks for lazy members. */
function requiredStatePairs(v: unknown, field: string): RequiredState {
  const out: RequiredState = { include: [], exclude: [], lazyMembers: false };
  if (v === undefined) return out;
  if (!Array.isArray(v)) throw invalidParam(`${field} must be a list of [type, state_key] pairs`);
  for (const pair of v) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") {
      throw invalidParam(`${field} must be a list of [type, state_key] pairs`);
    }
    const [type, stateKey] = pair as [string, string];
    if (type === "m.room.member" && stateKey === "$LAZY") out.lazyMembers = true;
    else out.include.push({ type: type === "*" ? undefined : type, stateKey: stateKey === "*" ? undefined : stateKey });
  }
  return out;
}

function stateElements(v: unknown, field: string): StateElement[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalidParam(`${field} must be a list`);
  return v.map((e, i) => {
    const o = object(e, `${field}[${i}]`);
    return { type: optString(o.type, `${field}[${i}].type`), stateKey: optString(o.state_key, `${field}[${i}].state_key`) };
  });
}

function requiredStateObject(v: unknown, field: string): RequiredState {
  const o = object(v, field);
  return {
    include: stateElements(o.include, `${field}.include`),
    exclude: stateElements(o.exclude, `${field}.exclude`),
    lazyMembers: optBool(o.lazy_members, `${field}.lazy_members`) ?? false,
  };
}

function roomConfig(o: Json, field: string, dialect: Dialect): RoomConfig {
  const limit = o.timeline_limit === undefined ? 0 : count(o.timeline_limit, `${field}.timeline_limit`);
  return {
    timelineLimit: Math.min(limit, maxTimelineLimit),
    requiredState: dialect === "unstable" ? requiredStatePairs(o.required_state, `${field}.required_state`) : requiredStateObject(o.required_state, `${field}.required_state`),
  };
}

function listFilters(v: unknown, field: string, dialect: Dialect): ListFilters {
  const o = object(v, field);
  const invitedKey = dialect === "unstable" ? "is_invite" : "is_invited";
  return {
    isDm: optBool(o.is_dm, `${field}.is_dm`),
    isEncrypted: optBool(o.is_encrypted, `${field}.is_encrypted`),
    isInvited: optBool(o[invitedKey], `${field}.${invitedKey}`),
    spaces: strings(o.spaces, `${field}.spaces`),
    roomTypes: roomTypes(o.room_types, `${field}.room_types`),
    notRoomTypes: roomTypes(o.not_room_types, `${field}.not_room_types`),
    tags: strings(o.tags, `${field}.tags`),
    notTags: strings(o.not_tags, `${field}.not_tags`),
  };
}

function listRequest(v: unknown, field: string, dialect: Dialect): ListRequest {
  const o = object(v, field);
  let ranges: [number, number][] | undefined;
  if (dialect === "unstable") {
    if (o.ranges !== undefined) {
      if (!Array.isArray(o.ranges)) throw invalidParam(`${field}.ranges must be a list of pairs`);
      ranges = o.ranges.map((r, i) => range(r, `${field}.ranges[${i}]`));
    }
  } else if (o.range !== undefined) {
    ranges = [range(o.range, `${field}.range`)];
  }
  return { ranges, config: roomConfig(o, field, dialect), filters: listFilters(o.filters, `${field}.filters`, dialect) };
}

/** An extension's config, or undefined when the request leaves it off (or disables it). */
function extension(v: unknown, field: string): Json | undefined {
  if (v === undefined) return undefined;
  const o = object(v, field);
  return optBool(o.enabled, `${field}.enabled`) === true ? o : undefined;
}

function scope(o: Json | undefined, field: string): ExtensionScope | undefined {
  if (!o) return undefined;
  return { lists: strings(o.lists, `${field}.lists`), rooms: strings(o.rooms, `${field}.rooms`) };
}

export function parseSlidingRequest(dialect: Dialect, body: unknown, query: SlidingQuery = {}): SlidingRequest {
  const o = object(body ?? {}, "The request body");
  const pos = dialect === "unstable" ? (query.pos ?? optString(o.pos, "pos")) : optString(o.pos, "pos");
  const timeout = dialect === "unstable" ? (query.timeout ?? o.timeout) : o.timeout;
  const presence = dialect === "unstable" ? (query.set_presence ?? o.set_presence) : o.set_presence;
  if (presence !== undefined && (typeof presence !== "string" || !presenceStates.includes(presence))) {
    throw invalidParam("set_presence must be one of online, offline, unavailable");
  }

  const listsIn = object(o.lists, "lists");
  const names = Object.keys(listsIn);
  if (names.length > maxLists) throw invalidParam(`At most ${maxLists} lists`);
  const lists = new Map<string, ListRequest>();
  for (const name of names) lists.set(name, listRequest(listsIn[name], `lists.${name}`, dialect));

  const subsIn = object(o.room_subscriptions, "room_subscriptions");
  const roomIds = Object.keys(subsIn);
  if (roomIds.length > maxSubscriptions) throw invalidParam(`At most ${maxSubscriptions} room subscriptions`);
  const subscriptions = new Map<string, RoomConfig>();
  for (const roomId of roomIds) subscriptions.set(roomId, roomConfig(object(subsIn[roomId], `room_subscriptions.${roomId}`), `room_subscriptions.${roomId}`, dialect));

  const ext = object(o.extensions, "extensions");
  const toDevice = extension(ext.to_device, "extensions.to_device");
  return {
    dialect,
    connId: optString(o.conn_id, "conn_id") ?? "",
    pos: pos === "" ? undefined : pos,
    txnId: optString(o.txn_id, "txn_id"),
    timeoutMs: timeout === undefined ? 0 : count(timeout, "timeout"),
    setPresence: presence as PresenceState | undefined,
    lists,
    subscriptions,
    extensions: {
      toDevice: toDevice && {
        since: optString(toDevice.since, "extensions.to_device.since"),
        limit: toDevice.limit === undefined ? undefined : count(toDevice.limit, "extensions.to_device.limit"),
      },
      e2ee: extension(ext.e2ee, "extensions.e2ee") !== undefined,
      accountData: scope(extension(ext.account_data, "extensions.account_data"), "extensions.account_data"),
      receipts: scope(extension(ext.receipts, "extensions.receipts"), "extensions.receipts"),
      typing: scope(extension(ext.typing, "extensions.typing"), "extensions.typing"),
    },
  };
}
