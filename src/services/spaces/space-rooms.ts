/**
 * What spaces show of a room (spec "Spaces", RoomSummary of v1.15): the directory chunk with the
 * room version, encryption and restricted rooms added, its valid `m.space.child` links in the
 * spec's order, and who may see it: a user (joined or invited, or the join rules or history
 * visibility let them in) or another server (the same, judged for that server's users).
 */
import { stateKeyOf, type JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventStore } from "../rooms/event-store";
import type { StateService } from "../rooms/state";
import type { RoomSummaries } from "../rooms/summary";
import { serverOf } from "../federation/room-view";

/** One child named by an `m.space.child` event with a non-empty `via` (others do not count). */
export interface ChildLink {
  roomId: string;
  via: string[];
  suggested: boolean;
  /** A valid `order`: at most 50 characters between \x20 and \x7E. */
  order?: string;
  ts: number;
}

/** A room as spaces describe it: the wire chunk, and its links to children. */
export interface SpaceRoom {
  chunk: JsonObject;
  children: ChildLink[];
}

const VALID_ORDER = /^[\x20-\x7E]{0,50}$/;

/** Children with a valid `order` first (by it), then by timestamp, then by room id (spec "Ordering"). */
export function orderChildren(links: ChildLink[]): ChildLink[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...links].sort((a, b) => {
    if (a.order !== undefined && b.order !== undefined && a.order !== b.order) return cmp(a.order, b.order);
    if ((a.order === undefined) !== (b.order === undefined)) return a.order === undefined ? 1 : -1;
    return a.ts - b.ts || cmp(a.roomId, b.roomId);
  });
}

/** The valid child links among stripped `m.space.child` events (ours or another server's). */
export function childLinks(childrenState: readonly unknown[]): ChildLink[] {
  const links: ChildLink[] = [];
  for (const e of childrenState) {
    if (typeof e !== "object" || e === null) continue;
    const { type, state_key: roomId, content, origin_server_ts: ts } = e as Record<string, unknown>;
    if (type !== "m.space.child" || typeof roomId !== "string" || !roomId.startsWith("!") || typeof content !== "object" || content === null) continue;
    const { via, suggested, order } = content as Record<string, unknown>;
    if (!Array.isArray(via)) continue;
    const servers = via.filter((s): s is string => typeof s === "string" && s !== "");
    if (servers.length === 0) continue;
    links.push({
      roomId,
      via: servers,
      suggested: suggested === true,
      order: typeof order === "string" && VALID_ORDER.test(order) ? order : undefined,
      ts: typeof ts === "number" ? ts : 0,
    });
  }
  return orderChildren(links);
}

const KNOCKABLE = new Set(["knock", "knock_restricted"]);

export function createSpaceRooms(deps: { serverName: string; storage: Storage; state: StateService; eventStore: EventStore; summaries: RoomSummaries }) {
  const { serverName, storage, state, eventStore, summaries } = deps;

  const membershipOf = (roomId: string, userId: string): string | undefined => storage.memberships.get(roomId, userId)?.membership;

  /** Whether a room's chunk lets `userId` see it (spec "GET /hierarchy": the rooms to return). */
  function visibleTo(userId: string, chunk: JsonObject): boolean {
    const roomId = chunk.room_id as string;
    const membership = membershipOf(roomId, userId);
    if (membership === "ban") return false;
    if (membership === "join" || membership === "invite") return true;
    if (chunk.world_readable === true) return true;
    const rule = chunk.join_rule;
    if (rule === "public" || (typeof rule === "string" && KNOCKABLE.has(rule))) return true;
    const allowed = Array.isArray(chunk.allowed_room_ids) ? chunk.allowed_room_ids : [];
    return rule === "restricted" && allowed.some((id) => typeof id === "string" && membershipOf(id, userId) === "join");
  }

  /** Whether anyone not in the room may see it: public, knockable or world-readable. */
  const openToAll = (chunk: JsonObject): boolean =>
    chunk.world_readable === true || chunk.join_rule === "public" || (typeof chunk.join_rule === "string" && KNOCKABLE.has(chunk.join_rule));

  /** Whether a server has members with `membership` in a room. */
  const serverHas = (roomId: string, server: string, membership: string) => storage.memberships.usersWith(roomId, membership).some((u) => serverOf(u) === server);

  return {
    visibleTo,
    openToAll,

    /** Whether this server is in the room (its state is current), so it can describe it itself. */
    participates(roomId: string): boolean {
      return storage.rooms.get(roomId)?.state_group != null && serverHas(roomId, serverName, "join");
    },

    /** The room as spaces describe it, from its current state; null when unknown here. */
    describe(roomId: string): SpaceRoom | null {
      const chunk = summaries.summary(roomId);
      const room = storage.rooms.get(roomId);
      if (!chunk || room?.state_group == null) return null;
      const current = state.stateOfGroup(room.state_group);
      const content = (type: string) => {
        const id = current.get(stateKeyOf(type, ""));
        return id === undefined ? undefined : eventStore.getPdu(id)?.content;
      };
      chunk.room_version = room.room_version;
      const algorithm = content("m.room.encryption")?.algorithm;
      if (typeof algorithm === "string") chunk.encryption = algorithm;
      if (chunk.join_rule === "restricted" || chunk.join_rule === "knock_restricted") {
        const allow = content("m.room.join_rules")?.allow;
        chunk.allowed_room_ids = (Array.isArray(allow) ? allow : [])
          .map((a) => (typeof a === "object" && a !== null && !Array.isArray(a) && a.type === "m.room_membership" ? a.room_id : undefined))
          .filter((id): id is string => typeof id === "string");
      }
      const childrenState: JsonObject[] = [];
      for (const [key, id] of current) {
        if (!key.startsWith("m.space.child\u0000")) continue;
        const pdu = eventStore.getPdu(id);
        if (!pdu) continue;
        childrenState.push({ type: pdu.type, state_key: pdu.state_key ?? "", content: pdu.content, sender: pdu.sender, origin_server_ts: pdu.origin_server_ts });
      }
      const children = childLinks(childrenState);
      const valid = new Set(children.map((c) => c.roomId));
      chunk.children_state = childrenState.filter((e) => valid.has(e.state_key as string));
      return { chunk, children };
    },

    /**
     * Whether `server`'s users may see the room: anyone when it is open; else when the server
     * has members joined or invited there, or (restricted) joined to one of the allowed rooms.
     */
    visibleToServer(server: string, chunk: JsonObject): boolean {
      if (openToAll(chunk)) return true;
      const roomId = chunk.room_id as string;
      if (serverHas(roomId, server, "join") || serverHas(roomId, server, "invite")) return true;
      const allowed = Array.isArray(chunk.allowed_room_ids) ? chunk.allowed_room_ids : [];
      return allowed.some((id) => typeof id === "string" && serverHas(id, server, "join"));
    },

    membershipOf,
  };
}
export type SpaceRooms = ReturnType<typeof createSpaceRooms>;
