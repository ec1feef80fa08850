/**
 * The in-memory head of recently active rooms: their version rules, forward extremities, greatest
 * depth, current state group and joined members. It is what the next local event is built on, and
 * it is only changed by the room's queue after a successful persist, so it always matches the
 * database (a rolled-back transaction drops every head; they reload on next use). At most
 * `capacity` heads are kept, the least recently used going first; an evicted room reloads from
 * storage when it is next used.
 */
import { isSupportedRoomVersion, rulesFor, type RoomVersionRules } from "../../core/room-versions";
import type { Storage } from "../../storage";
import { createLruMap } from "../../runtime/lru-map";

export interface RoomHead {
  readonly roomId: string;
  readonly version: string;
  readonly rules: RoomVersionRules;
  extremities: string[];
  /** The greatest depth among the forward extremities. */
  depth: number;
  /** The group holding the room's current state (null before the create event). */
  stateGroup: number | null;
  /** Joined members; change it only through `setJoined`, which keeps `joinedServers` in step. */
  readonly joined: Set<string>;
  /** How many joined members each server has: federation's destinations, without a walk of the members. */
  readonly joinedServers: Map<string, number>;
}

const serverOfUser = (userId: string): string => userId.slice(userId.indexOf(":") + 1);

function countServers(joined: Iterable<string>): Map<string, number> {
  const servers = new Map<string, number>();
  for (const userId of joined) {
    const server = serverOfUser(userId);
    servers.set(server, (servers.get(server) ?? 0) + 1);
  }
  return servers;
}

/** Records a member as joined or not, in `joined` and in the per-server counts. */
export function setJoined(head: RoomHead, userId: string, joined: boolean): void {
  if (joined === head.joined.has(userId)) return;
  const server = serverOfUser(userId);
  const count = (head.joinedServers.get(server) ?? 0) + (joined ? 1 : -1);
  if (joined) head.joined.add(userId);
  else head.joined.delete(userId);
  if (count > 0) head.joinedServers.set(server, count);
  else head.joinedServers.delete(server);
}

/** `capacity`: how many rooms' heads stay in memory (`room_cache_capacity`). */
export function createRoomHeads(storage: Storage, capacity: number) {
  // A head evicted while someone still holds it (a task between fetching it and persisting on it)
  // must remain its room's only head, or two copies would drift apart: evicted heads are kept
  // weakly until the last holder lets go, and taken back if asked for before that.
  const evicted = new Map<string, WeakRef<RoomHead>>();
  const collected = new FinalizationRegistry<string>((roomId) => {
    if (evicted.get(roomId)?.deref() === undefined) evicted.delete(roomId);
  });
  const heads = createLruMap<string, RoomHead>({
    maxEntries: capacity,
    onEvict: (roomId, head) => {
      evicted.set(roomId, new WeakRef(head));
      collected.register(head, roomId, head);
    },
  });

  const load = (roomId: string): RoomHead | null => {
    const room = storage.rooms.get(roomId);
    if (!room || !isSupportedRoomVersion(room.room_version)) return null;
    const extremities = storage.events.forwardExtremities(roomId);
    let depth = 0;
    for (const id of extremities) depth = Math.max(depth, storage.events.get(id)?.depth ?? 0);
    const joined = new Set(storage.memberships.usersWith(roomId, "join"));
    return {
      roomId,
      version: room.room_version,
      rules: rulesFor(room.room_version),
      extremities,
      depth,
      stateGroup: room.state_group,
      joined,
      joinedServers: countServers(joined),
    };
  };

  return {
    /** The room's head, or null when this server does not know the room. */
    get(roomId: string): RoomHead | null {
      let head = heads.get(roomId);
      if (!head) {
        const held = evicted.get(roomId)?.deref();
        if (held) collected.unregister(held);
        evicted.delete(roomId);
        head = held ?? load(roomId) ?? undefined;
        if (!head) return null;
        heads.set(roomId, head);
      }
      return head;
    },

    /** Registers a room that is being created (its row is written in the same transaction). */
    start(roomId: string, version: string): RoomHead {
      const head: RoomHead = {
        roomId,
        version,
        rules: rulesFor(version),
        extremities: [],
        depth: 0,
        stateGroup: null,
        joined: new Set(),
        joinedServers: new Map(),
      };
      evicted.delete(roomId);
      heads.set(roomId, head);
      return head;
    },

    /** How many heads are held in memory (at most the capacity). */
    get size(): number {
      return heads.size;
    },

    invalidate(): void {
      heads.clear();
      evicted.clear();
    },
  };
}
export type RoomHeads = ReturnType<typeof createRoomHeads>;
