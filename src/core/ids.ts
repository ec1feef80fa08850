/**
 * Identifier grammar (spec appendix "Identifier Grammar"): server names, user ids, room ids, room
 * aliases and event ids. Parsers return null instead of throwing so callers can map the failure to
 * the error their context calls for. User ids are parsed with the historical grammar, which
 * federation must accept; `isValidUserLocalpart` is the strict one new accounts must follow.
 */

import type { RoomVersionRules } from "./room-versions.ts";
import type { EventId, RoomAlias, RoomId, ServerName, UserId } from "./types.ts";

/** Every identifier, sigil and domain included, is at most 255 bytes of UTF-8. */
export const MAX_ID_BYTES = 255;

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

// ---- server names ----------------------------------------------------------------------------

export interface ParsedServerName {
  serverName: ServerName;
  /** As written: a DNS name, a dotted quad, or an IPv6 literal with its brackets. */
  host: string;
  kind: "dns" | "ipv4" | "ipv6";
  port: number | undefined;
}

const PORT = /^[0-9]{1,5}$/;
const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;
const DOTTED_QUAD = /^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]{2,45}$/;

/** `hostname [":" port]` where hostname is a DNS name, an IPv4 literal or a bracketed IPv6 literal. */
export function parseServerName(text: string): ParsedServerName | null {
  let host = text;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) return null;
    host = text.slice(0, close + 1);
    const rest = text.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return null;
      portText = rest.slice(1);
    }
  } else {
    const colon = text.indexOf(":");
    if (colon !== -1) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  if (portText !== undefined && !PORT.test(portText)) return null;
  const port = portText === undefined ? undefined : Number(portText);
  const kind = hostKind(host);
  return kind ? { serverName: text as ServerName, host, kind, port } : null;
}

function hostKind(host: string): ParsedServerName["kind"] | null {
  if (host.startsWith("[")) return host.endsWith("]") && isIpv6(host.slice(1, -1)) ? "ipv6" : null;
  // A dotted quad is an IPv4 literal, and those must have octets of 0-255.
  if (DOTTED_QUAD.test(host)) return isIpv4(host) ? "ipv4" : null;
  return DNS_NAME.test(host) ? "dns" : null;
}

function isIpv4(text: string): boolean {
  return DOTTED_QUAD.test(text) && text.split(".").every((octet) => Number(octet) <= 255);
}

/** RFC 3513 section 2.2 text forms: eight groups, `::` once at most, optional trailing IPv4. */
function isIpv6(text: string): boolean {
  if (!IPV6_CHARS.test(text)) return false;
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === "" ? [] : half.split(":")));
  let count = groups.length;
  const last = groups[groups.length - 1];
  if (last !== undefined && last.includes(".")) {
    if (!isIpv4(last)) return false;
    groups.pop();
    count += 1; // an embedded IPv4 address fills two groups
  }
  if (!groups.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group))) return false;
  return halves.length === 2 ? count < 8 : count === 8;
}

export function isValidServerName(text: string): text is ServerName {
  return parseServerName(text) !== null;
}

// ---- sigil:localpart:domain ids --------------------------------------------------------------

interface SigilParts {
  localpart: string;
  serverName: ServerName;
}

/** Splits `<sigil>localpart:domain` at the first colon (localparts cannot hold one). */
function splitSigilId(text: string, sigil: string): SigilParts | null {
  if (!text.startsWith(sigil) || utf8Length(text) > MAX_ID_BYTES || !text.isWellFormed()) return null;
  const colon = text.indexOf(":");
  if (colon === -1) return null;
  const serverName = text.slice(colon + 1);
  if (!isValidServerName(serverName)) return null;
  return { localpart: text.slice(sigil.length, colon), serverName };
}

export interface ParsedUserId extends SigilParts {
  userId: UserId;
}

const STRICT_LOCALPART = /^[a-z0-9._=\-/+]+$/;

/**
 * `@localpart:domain` with the historical localpart grammar (any code point but `:` and NUL, even
 * empty), which events over federation may carry. Pass `strict` to demand the current grammar.
 */
export function parseUserId(text: string, options: { strict?: boolean } = {}): ParsedUserId | null {
  const parts = splitSigilId(text, "@");
  if (!parts || parts.localpart.includes("\u0000")) return null;
  if (options.strict && !isValidUserLocalpart(parts.localpart)) return null;
  return { userId: text as UserId, ...parts };
}

/** The current grammar, which every new account must follow: `[a-z0-9._=/+-]+`. */
export function isValidUserLocalpart(localpart: string): boolean {
  return STRICT_LOCALPART.test(localpart);
}

export function isValidUserId(text: string, options: { strict?: boolean } = {}): text is UserId {
  return parseUserId(text, options) !== null;
}

export interface ParsedRoomAlias extends SigilParts {
  alias: RoomAlias;
}

/** `#localpart:domain`; the localpart may hold any code point but `:`. */
export function parseRoomAlias(text: string): ParsedRoomAlias | null {
  const parts = splitSigilId(text, "#");
  return parts ? { alias: text as RoomAlias, ...parts } : null;
}

// ---- room ids and event ids ------------------------------------------------------------------

/** Unpadded Base64 of a SHA-256: 43 characters. */
const URL_SAFE_HASH = /^[A-Za-z0-9_-]{43}$/;
const STANDARD_HASH = /^[A-Za-z0-9+/]{43}$/;

/**
 * A room id: `!opaque:domain` before room version 12, `!` + url-safe create event hash since.
 * `hashed` says which form it is.
 */
export function parseRoomId(text: string): { roomId: RoomId; hashed: boolean; serverName?: ServerName } | null {
  if (!text.startsWith("!")) return null;
  if (URL_SAFE_HASH.test(text.slice(1))) return { roomId: text as RoomId, hashed: true };
  const parts = splitSigilId(text, "!");
  if (!parts || parts.localpart.includes("\u0000")) return null;
  return { roomId: text as RoomId, hashed: false, serverName: parts.serverName };
}

/**
 * An event id in the shape the room version gives it: `$opaque:domain` (rooms 1-2), `$` +
 * standard Base64 hash (room 3), `$` + url-safe hash (rooms 4+). Without rules, any `$`-sigil id
 * of at most 255 bytes.
 */
export function isValidEventId(text: string, rules?: RoomVersionRules): text is EventId {
  if (!text.startsWith("$") || utf8Length(text) > MAX_ID_BYTES || !text.isWellFormed()) return false;
  if (!rules) return text.length > 1;
  if (rules.eventIdInEvent) return splitSigilId(text, "$") !== null;
  return (rules.urlSafeEventIds ? URL_SAFE_HASH : STANDARD_HASH).test(text.slice(1));
}
