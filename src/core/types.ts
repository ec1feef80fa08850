/**
 * Shared shapes of the Matrix protocol: branded identifiers and the PDU as it travels between
 * servers. Wire field names (`room_id`, `state_key`, `auth_events`) are kept as the spec spells them.
 */

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type UserId = Brand<string, "UserId">;
export type RoomId = Brand<string, "RoomId">;
export type EventId = Brand<string, "EventId">;
export type ServerName = Brand<string, "ServerName">;
export type RoomAlias = Brand<string, "RoomAlias">;
export type DeviceId = Brand<string, "DeviceId">;

/** Any value that canonical JSON can carry. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** `signatures[serverName][keyId] = unpadded base64 signature` */
export type Signatures = Record<string, Record<string, string>>;

/** An ephemeral data unit between servers (typing, receipts, presence, ...). */
export interface Edu {
  edu_type: string;
  content: JsonObject;
}

/**
 * A persistent data unit. Room versions 1 and 2 reference events as `[event_id, hashes]` pairs and
 * carry `event_id`; versions 3+ reference bare ids and derive the id from the reference hash.
 */
export interface Pdu {
  /**
   * Only in room versions 1-2 (event format v1). Later versions derive the id from the reference
   * hash (`eventIdFor`); never add it to such a PDU, since both hashes cover every top-level key.
   */
  event_id?: string;
  /** Absent from the create event since room version 12 (its reference hash is the room id). */
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  depth: number;
  prev_events: EventRef[];
  auth_events: EventRef[];
  hashes: { sha256: string } & Record<string, string>;
  signatures: Signatures;
  /** Top-level `redacts` of m.room.redaction before v11 (moved into content since v11). */
  redacts?: string;
  unsigned?: JsonObject;
  /** Only in old formats; ignored by v11+ (redaction drops it). */
  origin?: string;
  [extra: string]: unknown;
}

/** `T` without the keys `K`; unlike `Omit`, keeps the named properties of a type with an index signature. */
export type Without<T, K extends PropertyKey> = { [P in keyof T as P extends K ? never : P]: T[P] };

/**
 * An event as our server builds it, before `hashAndSignEvent` adds `hashes` and `signatures`.
 * `room_id` is optional only for the room version 12 create event, whose hash becomes the room id.
 */
export type PduTemplate = Without<Pdu, "hashes" | "signatures" | "room_id"> &
  Partial<Pick<Pdu, "hashes" | "signatures" | "room_id">>;

/** An event reference: a bare id (v3+) or an `[id, {sha256}]` pair (v1, v2). */
export type EventRef = string | [string, Record<string, string>];

/** Returns the event id a reference points at, whatever the format. */
export function refId(ref: EventRef): string {
  return typeof ref === "string" ? ref : ref[0];
}

/** A state key tuple as the spec's state maps use it. */
export type StateKey = `${string}\u0000${string}`;
export function stateKeyOf(type: string, stateKey: string): StateKey {
  return `${type}\u0000${stateKey}`;
}

/** A JSON object (not null, not an array): the shape every event, content and body must have. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
