/**
 * Client operations on one room besides membership and the timeline: sending messages and state
 * (idempotent by transaction id), redacting, reading state and members, and the user's joined
 * rooms. Read paths go through `visibility`, writes through the local event pipeline.
 */
import { randomBytes } from "node:crypto";
import { MAX_PDU_BYTES, isValidUserId } from "../../core";
import { stateKeyOf, type JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventRow } from "../../storage/events";
import { assertNotSuspended, isRateLimited, type Requester } from "../accounts/access-tokens";
import { assertInvitable } from "../accounts/invite-permissions";
import type { ClientEvents } from "./client-events";
import type { DirectoryService } from "./directory";
import type { EventStore } from "./event-store";
import type { EventsService } from "./send";
import type { RoomHead, RoomHeads } from "./heads";
import { MatrixError, badJson, forbidden, invalidParam, notFound, tooLarge } from "../matrix-error";
import { hasRedactPower } from "./redactions";
import type { StateService } from "./state";
import { parseToken } from "./pagination";
import type { Visibility } from "./visibility";
import { checkThreadStart } from "../relations/thread-start";

/** What a shadow-banned sender is answered: an id of the usual shape for an event nobody receives. */
const unsentEventId = () => `$${randomBytes(32).toString("base64url")}`;

/** The spec caps `type`, `state_key` and ids at 255 bytes. */
const MAX_ID_BYTES = 255;

/** How a send came to be: `ts` counts only for an application service; `delayId` names the delayed event (MSC4140) that sends it. */
export interface SendOptions {
  ts?: number;
  delayId?: string;
}

export interface MembersQuery {
  at?: string;
  membership?: string;
  not_membership?: string;
}

export function createRoomsService(deps: {
  storage: Storage;
  state: StateService;
  eventStore: EventStore;
  events: EventsService;
  heads: RoomHeads;
  visibility: Visibility;
  clientEvents: ClientEvents;
  directory: DirectoryService;
  /** Uses one message token of the sender (429 M_LIMIT_EXCEEDED when none is left). */
  takeMessageToken(userId: string): void;
}) {
  const { storage, state, events, visibility, clientEvents } = deps;

  /** 404 for a room this server does not know; 403 unless the requester is joined. Answered from memory. */
  const requireJoined = (userId: string, roomId: string): RoomHead => {
    const head = deps.heads.get(roomId);
    if (!head) throw notFound(`Room ${roomId} is not known to this server`);
    if (!head.joined.has(userId)) throw forbidden(`${userId} is not in room ${roomId}`);
    return head;
  };

  const checkSize = (what: string, value: string) => {
    if (Buffer.byteLength(value, "utf8") > MAX_ID_BYTES) throw badJson(`${what} is longer than ${MAX_ID_BYTES} bytes`);
  };

  const checkContentSize = (content: JsonObject) => {
    // A cheap early refusal; the builder checks the whole signed PDU again.
    if (Buffer.byteLength(JSON.stringify(content), "utf8") > MAX_PDU_BYTES) throw tooLarge(`Event content exceeds ${MAX_PDU_BYTES} bytes`);
  };

  /** since v1.3: application services may set the event's timestamp ("Timestamp massaging"). */
  const massagedTs = (requester: Requester, ts: number | undefined) =>
    ts !== undefined && requester.appservice ? { origin_server_ts: ts } : {};

  const txnFor = (requester: Requester, endpoint: string, txnId: string) => ({ userId: requester.userId, deviceId: requester.deviceId, endpoint, txnId });

  /** The checks of an event a client asks to send, before any is built: sizes, membership, state keys. */
  const checkSendable = (requester: Requester, roomId: string, type: string, stateKey: string | undefined, content: JsonObject): void => {
    checkSize("event type", type);
    if (stateKey !== undefined) checkSize("state_key", stateKey);
    checkContentSize(content);
    requireJoined(requester.userId, roomId);
    // Member events name their user in the state key; the auth rules judge the rest.
    if (type === "m.room.member" && stateKey !== undefined && !isValidUserId(stateKey)) throw badJson("m.room.member needs a user id as state_key");
    // Leaving stays open to a suspended account; every other event is refused.
    const leaving = type === "m.room.member" && stateKey === requester.userId && content.membership === "leave";
    if (!leaving) assertNotSuspended(requester, stateKey === undefined ? "send messages" : "send state events");
  };

  const rowsOf = (ids: Iterable<string>): EventRow[] =>
    [...ids].map((id) => storage.events.get(id)).filter((r): r is EventRow => r !== null);

  return {
    checkSendable,

    /**
     * PUT /rooms/{roomId}/send/{eventType}/{txnId}, and the older POST without a transaction id.
     * A transaction id is scoped to the device and
     * the whole path (room and event type).
     */
    async sendMessage(
      requester: Requester,
      roomId: string,
      type: string,
      txnId: string | undefined,
      content: JsonObject,
      opts: SendOptions = {},
    ): Promise<{ event_id: string }> {
      assertNotSuspended(requester, "send messages");
      if (requester.shadowBanned) {
        requireJoined(requester.userId, roomId);
        return { event_id: unsentEventId() };
      }
      const txn = txnId === undefined ? undefined : txnFor(requester, `send/${roomId}/${type}`, txnId);
      const sent = await events.sendOnce({ txn, delayId: opts.delayId }, roomId, () => {
        checkSendable(requester, roomId, type, undefined, content);
        checkThreadStart(storage, deps.eventStore, roomId, content);
        if (isRateLimited(requester)) deps.takeMessageToken(requester.userId);
        return { type, content, sender: requester.userId, ...massagedTs(requester, opts.ts) };
      });
      return { event_id: sent.eventId };
    },

    /** PUT /rooms/{roomId}/state/{eventType}/{stateKey}. */
    async setState(requester: Requester, roomId: string, type: string, stateKey: string, content: JsonObject, opts: SendOptions = {}): Promise<{ event_id: string }> {
      checkSendable(requester, roomId, type, stateKey, content);
      if (requester.shadowBanned && type !== "m.room.member") return { event_id: unsentEventId() };
      // An invite written as a state event is an invite too (MSC4380).
      if (type === "m.room.member" && content.membership === "invite" && storage.accounts.getUser(stateKey)) assertInvitable(storage, stateKey);
      if (type === "m.room.canonical_alias") deps.directory.checkCanonicalAlias(roomId, content);
      const draft = { type, state_key: stateKey, content, sender: requester.userId, ...massagedTs(requester, opts.ts) };
      const sent = await events.send(roomId, draft, { delayId: opts.delayId });
      return { event_id: sent.eventId };
    },

    /** PUT /rooms/{roomId}/redact/{eventId}/{txnId}, and the older POST without a transaction id. */
    async redact(requester: Requester, roomId: string, eventId: string, txnId: string | undefined, reason: string | undefined): Promise<{ event_id: string }> {
      const txn = txnId === undefined ? undefined : txnFor(requester, `redact/${roomId}/${eventId}`, txnId);
      const sent = await events.sendOnce({ txn }, roomId, () => {
        const { rules, stateGroup } = requireJoined(requester.userId, roomId);
        if (isRateLimited(requester)) deps.takeMessageToken(requester.userId);
        const target = storage.events.get(eventId);
        // A redaction names an event of its own room (Synapse answers 400 too); unknown ones may be redacted.
        if (target && target.room_id !== roomId) throw invalidParam("The event to redact is in another room");
        // Users redact their own events; anyone else's needs the room's `redact` level.
        if (target?.sender !== requester.userId) {
          assertNotSuspended(requester, "redact other users' events");
          if (!hasRedactPower(requester.userId, state.stateOfGroup(stateGroup!), deps.eventStore, rules)) {
            throw forbidden("You do not have permission to redact this event");
          }
        }
        const content: JsonObject = reason === undefined ? {} : { reason };
        // since v11: the target is named in content; before, at the top level.
        if (rules.redactsInContent) content.redacts = eventId;
        return { type: "m.room.redaction", content, sender: requester.userId, ...(rules.redactsInContent ? {} : { redacts: eventId }) };
      });
      return { event_id: sent.eventId };
    },

    /** GET /rooms/{roomId}/state */
    getState(requester: Requester, roomId: string): JsonObject[] {
      const view = visibility.readableState(requester.userId, roomId);
      return clientEvents.formatAll(rowsOf(state.stateOfGroup(view.group).values()), requester);
    },

    /**
     * After `alias` was deleted: the room's m.room.canonical_alias stops naming it (as Synapse
     * does), sent as the requester. Without the power to, the stale name stays for the room's
     * moderators to change; the deletion stands either way.
     */
    async dropCanonicalAlias(requester: Requester, roomId: string, alias: string): Promise<void> {
      const group = storage.rooms.get(roomId)?.state_group;
      const id = group == null ? undefined : state.stateOfGroup(group).get(stateKeyOf("m.room.canonical_alias", ""));
      const content = id === undefined ? undefined : deps.eventStore.getPdu(id)?.content;
      if (!content) return;
      const alt = Array.isArray(content.alt_aliases) ? content.alt_aliases : undefined;
      if (content.alias !== alias && !alt?.includes(alias)) return;
      const next: JsonObject = { ...content };
      if (next.alias === alias) delete next.alias;
      if (alt) next.alt_aliases = alt.filter((a) => a !== alias);
      try {
        await this.setState(requester, roomId, "m.room.canonical_alias", "", next);
      } catch (e) {
        if (!(e instanceof MatrixError && e.status === 403)) throw e;
      }
    },

    /** GET /rooms/{roomId}/state/{eventType}/{stateKey}: the content, or the whole event with `format=event`. */
    getStateEvent(requester: Requester, roomId: string, type: string, stateKey: string, format: "content" | "event"): JsonObject {
      const view = visibility.readableState(requester.userId, roomId);
      const id = state.stateOfGroup(view.group).get(stateKeyOf(type, stateKey));
      const row = id === undefined ? null : storage.events.get(id);
      if (!row) throw notFound(`The room has no state event (${type}, ${JSON.stringify(stateKey)})`);
      const event = clientEvents.format(row, requester);
      return format === "event" ? event : (event.content as JsonObject);
    },

    /** GET /rooms/{roomId}/members, optionally at a point in time and filtered by membership. */
    members(requester: Requester, roomId: string, q: MembersQuery): { chunk: JsonObject[] } {
      const view = visibility.readableState(requester.userId, roomId);
      let group = view.group;
      if (q.at !== undefined) {
        const at = parseToken(storage, roomId, q.at);
        const row = storage.events.backwards(roomId, at, { depth: -1, stream: -1 }, 1)[0];
        // A former member sees no further than their leaving.
        const leftAt = view.current ? Infinity : (storage.memberships.get(roomId, requester.userId)?.stream_ordering ?? Infinity);
        if (row?.state_after != null && row.stream_ordering <= leftAt) group = row.state_after;
      }
      const rows = rowsOf(
        [...state.stateOfGroup(group)].filter(([key]) => key.startsWith("m.room.member\u0000")).map(([, id]) => id),
      ).filter((row) => {
        if (q.membership !== undefined && row.membership !== q.membership) return false;
        if (q.not_membership !== undefined && row.membership === q.not_membership) return false;
        return true;
      });
      return { chunk: clientEvents.formatAll(rows, requester) };
    },

    /** GET /rooms/{roomId}/joined_members: current members' display names and avatars. */
    joinedMembers(requester: Requester, roomId: string): { joined: JsonObject } {
      // The spec asks the requester to be in the room (world-readable rooms included).
      requireJoined(requester.userId, roomId);
      const joined: JsonObject = {};
      const current = state.stateOfGroup(storage.rooms.get(roomId)!.state_group!);
      for (const userId of storage.memberships.usersWith(roomId, "join")) {
        const id = current.get(stateKeyOf("m.room.member", userId));
        const content = id === undefined ? undefined : clientEvents.visiblePdu(storage.events.get(id)!).content;
        // Both keys always, null when unset, as Synapse answers (clients read them as absent).
        joined[userId] = {
          display_name: typeof content?.displayname === "string" ? content.displayname : null,
          avatar_url: typeof content?.avatar_url === "string" ? content.avatar_url : null,
        };
      }
      return { joined };
    },

    /** GET /joined_rooms */
    joinedRooms(requester: Requester): { joined_rooms: string[] } {
      const rooms = storage.memberships.forUser(requester.userId).filter((m) => m.membership === "join");
      return { joined_rooms: rooms.map((m) => m.room_id) };
    },
  };
}
export type RoomsService = ReturnType<typeof createRoomsService>;
