/**
 * The in-memory head of each active room: its version rules, forward extremities, greatest depth,
 * current state group and joined members. It is what the next local event is built on, and it is
 * only changed by the room's queue after a successful persist, so it always matches the database
 * (a rolled-back transaction drops every head; they reload on next use).
 */
import { isSupportedRoomVersion, rulesFor, type RoomVersionRules } from "../core/room-versions";
import type { Storage } from "../storage";

export interface RoomHead {
  readonly roomId: string;
  readonly version: string;
  readonly rules: RoomVersionRules;
  extremities: string[];
  /** The greatest depth among the forward extremities. */
  depth: number;
  /** The group holding the room's current state (null before the create event). */
  stateGroup: number | null;
  joined: Set<string>;
}

export function createRoomHeads(storage: Storage) {
  const heads = new Map<string, RoomHead>();

  const load = (roomId: string): RoomHead | null => {
    const room = storage.rooms.get(roomId);
    if (!room || !isSupportedRoomVersion(room.room_version)) return null;
    const extremities = storage.events.forwardExtremities(roomId);
    let depth = 0;
    for (const id of extremities) depth = Math.max(depth, storage.events.get(id)?.depth ?? 0);
    return {
      roomId,
      version: room.room_version,
      rules: rulesFor(room.room_version),
      extremities,
      depth,
      stateGroup: room.state_group,
      joined: new Set(storage.memberships.usersWith(roomId, "join")),
    };
  };

  return {
    /** The room's head, or null when this server does not know the room. */
    get(roomId: string): RoomHead | null {
      let head = heads.get(roomId);
      if (!head) {
        const loaded = load(roomId);
        if (!loaded) return null;
        heads.set(roomId, (head = loaded));
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
      };
      heads.set(roomId, head);
      return head;
    },

    invalidate(): void {
      heads.clear();
    },
  };
}
export type RoomHeads = ReturnType<typeof createRoomHeads>;
