/**
 * Namespaces of an application service and what it is interested in (spec "Application Service
 * API", Registration and the notes under it). A namespace regex matches from the start of the id,
 * as Synapse's does (`@_irc_.*` covers `@_irc_alice:example.org`), and need not reach its end.
 * Interest in users covers only local users; interest in a room comes from its id, its aliases or
 * a local member in the users namespace. The sender_localpart user belongs to its appservice
 * exclusively and is always of interest.
 */
import type { Namespace, NamespaceKind, Registration } from "./registration.ts";

export interface CompiledNamespace {
  pattern: RegExp;
  exclusive: boolean;
}

/** A registration ready for matching, on the server named `serverName`. */
export interface Appservice {
  registration: Registration;
  serverName: string;
  /** `@sender_localpart:server_name` */
  senderUserId: string;
  namespaces: Record<NamespaceKind, CompiledNamespace[]>;
}

function compile(namespace: Namespace): CompiledNamespace {
  return { pattern: new RegExp(`^(?:${namespace.regex})`), exclusive: namespace.exclusive };
}

export function compileAppservice(registration: Registration, serverName: string): Appservice {
  const { users, aliases, rooms } = registration.namespaces;
  return {
    registration,
    serverName,
    senderUserId: `@${registration.senderLocalpart}:${serverName}`,
    namespaces: { users: users.map(compile), aliases: aliases.map(compile), rooms: rooms.map(compile) },
  };
}

function firstMatch(list: readonly CompiledNamespace[], value: string): CompiledNamespace | undefined {
  return list.find((ns) => ns.pattern.test(value));
}

/** Localparts cannot hold a colon: the server name is everything after the first one. */
function isLocal(as: Appservice, userId: string): boolean {
  const colon = userId.indexOf(":");
  return colon !== -1 && userId.slice(colon + 1) === as.serverName;
}

export function isInNamespace(as: Appservice, kind: NamespaceKind, value: string): boolean {
  return firstMatch(as.namespaces[kind], value) !== undefined;
}

/** Exclusive names are the appservice's alone: nobody else may register or create them. */
export function isExclusive(as: Appservice, kind: NamespaceKind, value: string): boolean {
  if (kind === "users" && value === as.senderUserId) return true;
  return as.namespaces[kind].some((ns) => ns.exclusive && ns.pattern.test(value));
}

/** Users the appservice may act as (`user_id=` masquerading, registration, login): its sender and its users namespace. */
export function mayActAs(as: Appservice, userId: string): boolean {
  return isLocal(as, userId) && (userId === as.senderUserId || isInNamespace(as, "users", userId));
}

/** The spec's interest in a user: a local user in the users namespace, or the sender. */
export const isInterestedInUser = mayActAs;

/** What a room offers the interest check; read lazily, in this order, only as far as needed. */
export interface RoomFacts {
  aliases(): Iterable<string>;
  /** Local users joined to the room. */
  localMembers(): Iterable<string>;
}

export function isInterestedInRoom(as: Appservice, roomId: string, room: RoomFacts): boolean {
  if (isInNamespace(as, "rooms", roomId)) return true;
  for (const alias of room.aliases()) if (isInNamespace(as, "aliases", alias)) return true;
  for (const userId of room.localMembers()) if (isInterestedInUser(as, userId)) return true;
  return false;
}

export interface InterestEvent {
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
}

/** Whether an event goes to the appservice: its sender, a membership's target, or its room. */
export function isInterestedInEvent(as: Appservice, event: InterestEvent, room: RoomFacts): boolean {
  if (isInterestedInUser(as, event.sender)) return true;
  if (event.type === "m.room.member" && typeof event.state_key === "string" && isInterestedInUser(as, event.state_key)) return true;
  return isInterestedInRoom(as, event.room_id, room);
}

/** `m.receipt` content: event id -> receipt type -> user id -> receipt. */
export type ReceiptContent = Record<string, Record<string, Record<string, unknown>>>;

/**
 * The receipts of a room's `m.receipt` that the appservice may see (MSC2409): private read
 * receipts only of its own users; the others always. Null when nothing is left.
 */
export function receiptsForAppservice(as: Appservice, content: ReceiptContent): ReceiptContent | null {
  const out: ReceiptContent = {};
  for (const [eventId, byType] of Object.entries(content)) {
    for (const [type, byUser] of Object.entries(byType)) {
      const users = type === "m.read.private" ? Object.entries(byUser).filter(([userId]) => isInterestedInUser(as, userId)) : Object.entries(byUser);
      if (users.length === 0) continue;
      (out[eventId] ??= {})[type] = Object.fromEntries(users);
    }
  }
  return Object.keys(out).length > 0 ? out : null;
}
