/**
 * The sliding sync room list (MSC4186 "Lists"): the rooms of a user the lists index into, their
 * order, and the list filters. Rooms are those the user is in, invited to, knocked on, was
 * kicked or banned from, and those they left that this connection was sent before. Element X's
 * path orders them by `bump_stamp` (as the implementation it was built against does); the
 * merged MSC's path by the newest event of any type.
 */
import { stateKeyOf, type JsonObject } from "../../../core/types";
import { createLruMap } from "../../../runtime/lru-map";
import type { Storage } from "../../../storage";
import { GLOBAL_ROOM } from "../../../storage/account-data";
import type { MembershipRow } from "../../../storage/memberships";
import type { ClientEvents } from "../../rooms/client-events";
import type { StateMap } from "../../rooms/state";
import type { Timeline } from "../../rooms/timeline";
import type { RoomRecency } from "./recency";
import type { Dialect, ListFilters } from "./request";

export interface RoomEntry {
  membership: MembershipRow;
  /** MSC4186 `bump_stamp`: the newest bumping event, or for rooms not joined the membership change. */
  bump: number;
  /** The position the list is ordered by. */
  order: number;
  /** The newest timeline event the user can get (up to their leave for rooms they left). */
  latest: number;
}

/** What the filters read, computed once per request and only when some list asks. */
export interface FilterContext {
  userId: string;
  to: number;
  dmRooms: ReadonlySet<string>;
}

const createKey = stateKeyOf("m.room.create", "");
const encryptionKey = stateKeyOf("m.room.encryption", "");

export function createRoomList(deps: { storage: Storage; recency: RoomRecency; timeline: Pick<Timeline, "stateAtStream">; clientEvents: Pick<ClientEvents, "visiblePdu"> }) {
  const { storage, recency, timeline, clientEvents } = deps;
  // A room's type never changes (it is in its create event).
  const roomTypes = createLruMap<string, string | null>({ maxEntries: 100_000 });

  function content(eventId: string | undefined): JsonObject | undefined {
    if (eventId === undefined) return undefined;
    const row = storage.events.get(eventId);
    return row ? clientEvents.visiblePdu(row).content : undefined;
  }

  function roomType(roomId: string, to: number): string | null {
    const hit = roomTypes.get(roomId);
    if (hit !== undefined) return hit;
    const created = content(timeline.stateAtStream(roomId, to).get(createKey));
    if (!created) return null; // unknown yet (a remote invite): not cached
    const type = typeof created.type === "string" ? created.type : null;
    roomTypes.set(roomId, type);
    return type;
  }

  function spaceChildren(userId: string, spaces: readonly string[], to: number): Set<string> {
    const children = new Set<string>();
    for (const spaceId of spaces) {
      if (storage.memberships.get(spaceId, userId)?.membership !== "join") continue;
      const state: StateMap = timeline.stateAtStream(spaceId, to);
      for (const [key, eventId] of state) {
        if (!key.startsWith("m.space.child\u0000")) continue;
        const via = content(eventId)?.via;
        if (Array.isArray(via) && via.length > 0) children.add(key.slice("m.space.child\u0000".length));
      }
    }
    return children;
  }

  function tagsOf(userId: string, roomId: string): string[] {
    const raw = storage.accountData.getAccountData(userId, roomId, "m.tag");
    if (!raw) return [];
    const tags = (JSON.parse(raw) as JsonObject).tags;
    return typeof tags === "object" && tags !== null && !Array.isArray(tags) ? Object.keys(tags) : [];
  }

  function entryOf(m: MembershipRow, to: number, dialect: Dialect): RoomEntry {
    const r = recency.of(m.room_id, to);
    if (m.membership === "join") {
      const bump = r.bump > 0 ? r.bump : m.stream_ordering;
      return { membership: m, bump, order: dialect === "unstable" ? bump : Math.max(r.latest, m.stream_ordering), latest: r.latest };
    }
    const left = m.membership === "leave" || m.membership === "ban";
    return { membership: m, bump: m.stream_ordering, order: m.stream_ordering, latest: left ? Math.min(r.latest, m.stream_ordering) : 0 };
  }

  const typeMatches = (types: readonly (string | null)[], type: string | null) => types.some((t) => t === type);

  return {
    /** One room's entry (a subscription to a room outside the lists). */
    entryOf,

    /** The rooms in `m.direct` (global account data). */
    dmRooms(userId: string): Set<string> {
      const raw = storage.accountData.getAccountData(userId, GLOBAL_ROOM, "m.direct");
      const rooms = new Set<string>();
      if (!raw) return rooms;
      for (const ids of Object.values(JSON.parse(raw) as JsonObject)) {
        if (Array.isArray(ids)) for (const id of ids) if (typeof id === "string") rooms.add(id);
      }
      return rooms;
    },

    /** The user's rooms for the lists, newest first; `sentBefore` tells rooms this connection has. */
    rooms(userId: string, to: number, dialect: Dialect, sentBefore: (roomId: string) => boolean, ignored: ReadonlySet<string>): RoomEntry[] {
      const out: RoomEntry[] = [];
      for (const m of storage.memberships.forUser(userId)) {
        // Spec "Ignoring Users": invites from ignored users never reach the client.
        if (m.membership === "invite" && ignored.has(m.sender)) continue;
        // Rooms left by the user themselves only while the connection knows them (MSC4186).
        if (m.membership === "leave" && m.sender === userId && !sentBefore(m.room_id)) continue;
        out.push(entryOf(m, to, dialect));
      }
      out.sort((a, b) => b.order - a.order || (a.membership.room_id < b.membership.room_id ? -1 : 1));
      return out;
    },

    /** The rooms of `entries` the filters let through (MSC4186 `SlidingRoomFilter`), in order. */
    filter(entries: readonly RoomEntry[], f: ListFilters, ctx: FilterContext): RoomEntry[] {
      const children = f.spaces ? spaceChildren(ctx.userId, f.spaces, ctx.to) : undefined;
      return entries.filter(({ membership: m }) => {
        const roomId = m.room_id;
        if (f.isInvited !== undefined && (m.membership === "invite") !== f.isInvited) return false;
        if (f.isDm !== undefined && ctx.dmRooms.has(roomId) !== f.isDm) return false;
        if (children && !children.has(roomId)) return false;
        if (f.roomTypes || f.notRoomTypes) {
          const type = roomType(roomId, ctx.to);
          if (f.notRoomTypes && typeMatches(f.notRoomTypes, type)) return false;
          if (f.roomTypes && !typeMatches(f.roomTypes, type)) return false;
        }
        if (f.isEncrypted !== undefined && timeline.stateAtStream(roomId, ctx.to).has(encryptionKey) !== f.isEncrypted) return false;
        if (f.tags || f.notTags) {
          const tags = tagsOf(ctx.userId, roomId);
          if (f.notTags?.some((t) => tags.includes(t))) return false;
          if (f.tags && !f.tags.some((t) => tags.includes(t))) return false;
        }
        return true;
      });
    },
  };
}
export type RoomList = ReturnType<typeof createRoomList>;
