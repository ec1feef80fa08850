/**
 * The room half of the admin API, in Synapse's shapes: the list of every room this server knows
 * (searched and sorted), a room's details, members and state, blocking, and making a local user
 * a room admin (the most powerful local member raises them to its own level, and they join).
 */
import { powerLevelOf, requiredPowerLevel } from "../../core";
import { stateKeyOf, type JsonObject, type StateKey } from "../../core/types";
import { rulesFor } from "../../core/room-versions";
import type { Clock } from "../../runtime/clock";
import type { Storage } from "../../storage";
import type { Requester } from "../accounts/access-tokens";
import { actingAs } from "./guard";
import { isLocalUserId } from "../accounts/user-ids";
import type { Membership } from "../membership";
import { invalidParam, MatrixError, notFound } from "../matrix-error";
import type { Rooms } from "../rooms";
import { authMapOf } from "../rooms/auth-inputs";

/** A room as Synapse's room list shows it. */
export interface AdminRoom {
  room_id: string;
  name: string | null;
  canonical_alias: string | null;
  joined_members: number;
  joined_local_members: number;
  version: string;
  creator: string;
  encryption: string | null;
  federatable: boolean;
  public: boolean;
  join_rules: string | null;
  guest_access: string | null;
  history_visibility: string | null;
  state_events: number;
  room_type: string | null;
}

export const ROOM_ORDERS = [
  "name", "canonical_alias", "joined_members", "joined_local_members", "version", "creator",
  "encryption", "federatable", "public", "join_rules", "guest_access", "history_visibility", "state_events",
] as const;
export type RoomOrder = (typeof ROOM_ORDERS)[number];

export interface RoomListQuery {
  /** A substring of the name, canonical alias or room id. */
  search?: string;
  orderBy: RoomOrder;
  backwards: boolean;
  offset: number;
  limit: number;
}

const POWER_LEVELS = stateKeyOf("m.room.power_levels", "");
const CREATE = stateKeyOf("m.room.create", "");
/** Synapse's default sort puts the biggest rooms first. */
export const DEFAULT_ROOM_ORDER: RoomOrder = "joined_members";


export interface AdminRoomsDeps {
  storage: Storage;
  clock: Clock;
  serverName: string;
  rooms: Rooms;
  membership: Membership;
}

export function createAdminRooms({ storage, clock, serverName, rooms, membership }: AdminRoomsDeps) {
  const isLocal = (userId: string) => isLocalUserId(userId, serverName);

  function currentState(roomId: string): ReadonlyMap<StateKey, string> {
    const row = storage.rooms.get(roomId);
    if (!row) throw notFound(`Room ${roomId} is not known to this server`);
    return row.state_group === null ? new Map() : rooms.state.stateOfGroup(row.state_group);
  }

  function contentOf(state: ReadonlyMap<StateKey, string>, type: string): JsonObject | undefined {
    const id = state.get(stateKeyOf(type, ""));
    return id === undefined ? undefined : rooms.eventStore.getPdu(id)?.content;
  }

  function field(state: ReadonlyMap<StateKey, string>, type: string, key: string): string | null {
    const value = contentOf(state, type)?.[key];
    return typeof value === "string" ? value : null;
  }

  function describe(roomId: string): AdminRoom {
    const row = storage.rooms.get(roomId);
    if (!row) throw notFound(`Room ${roomId} is not known to this server`);
    const state = currentState(roomId);
    const joined = storage.memberships.usersWith(roomId, "join");
    return {
      room_id: roomId,
      name: field(state, "m.room.name", "name"),
      canonical_alias: field(state, "m.room.canonical_alias", "alias"),
      joined_members: joined.length,
      joined_local_members: joined.filter(isLocal).length,
      version: row.room_version,
      creator: row.creator,
      encryption: field(state, "m.room.encryption", "algorithm"),
      // `m.federate: false` in the create content keeps the room on this server.
      federatable: contentOf(state, "m.room.create")?.["m.federate"] !== false,
      public: row.published === 1,
      join_rules: field(state, "m.room.join_rules", "join_rule"),
      guest_access: field(state, "m.room.guest_access", "guest_access"),
      history_visibility: field(state, "m.room.history_visibility", "history_visibility"),
      state_events: state.size,
      room_type: field(state, "m.room.create", "type"),
    };
  }

  function compare(a: AdminRoom, b: AdminRoom, by: RoomOrder): number {
    const x = a[by];
    const y = b[by];
    if (x === y) return a.room_id < b.room_id ? -1 : a.room_id > b.room_id ? 1 : 0;
    if (x === null) return 1;
    if (y === null) return -1;
    // Counts sort biggest first, as Synapse does; names and flags in their natural order.
    if (typeof x === "number" && typeof y === "number") return y - x;
    return String(x) < String(y) ? -1 : 1;
  }

  return {
    describe,

    /** `GET /_synapse/admin/v1/rooms` */
    list(q: RoomListQuery) {
      const needle = q.search?.toLowerCase();
      let all = storage.rooms.all().map((r) => describe(r.room_id));
      if (needle !== undefined) {
        all = all.filter((r) => [r.name, r.canonical_alias, r.room_id].some((v) => v !== null && v.toLowerCase().includes(needle)));
      }
      all.sort((a, b) => compare(a, b, q.orderBy));
      if (q.backwards) all.reverse();
      const page = all.slice(q.offset, q.offset + q.limit);
      const next = q.offset + page.length;
      return {
        rooms: page,
        offset: q.offset,
        total_rooms: all.length,
        ...(next < all.length ? { next_batch: next } : {}),
        ...(q.offset > 0 ? { prev_batch: Math.max(0, q.offset - q.limit) } : {}),
      };
    },

    /** `GET /_synapse/admin/v1/rooms/{roomId}`: the list entry plus topic, avatar and local devices. */
    details(roomId: string) {
      const room = describe(roomId);
      const state = currentState(roomId);
      const localJoined = storage.memberships.usersWith(roomId, "join").filter(isLocal);
      return {
        ...room,
        topic: field(state, "m.room.topic", "topic"),
        avatar: field(state, "m.room.avatar", "url"),
        joined_local_devices: localJoined.reduce((n, u) => n + storage.accounts.getDevices(u).length, 0),
        forgotten: false,
        blocked: storage.roomBlocks.get(roomId) !== null,
      };
    },

    members(roomId: string): { members: string[]; total: number } {
      describe(roomId);
      const members = storage.memberships.usersWith(roomId, "join");
      return { members, total: members.length };
    },

    state(roomId: string): { state: JsonObject[] } {
      const ids = [...currentState(roomId).values()];
      const rows = ids.map((id) => storage.events.get(id)).filter((r) => r !== null);
      return { state: rooms.clientEvents.formatAll(rows) };
    },

    blocked(roomId: string): { block: boolean; user_id?: string } {
      const row = storage.roomBlocks.get(roomId);
      return row ? { block: true, user_id: row.blocked_by } : { block: false };
    },

    /** Blocking needs no knowledge of the room: a room can be blocked before anyone joins it. */
    setBlocked(requester: Requester, roomId: string, block: boolean): { block: boolean } {
      if (!roomId.startsWith("!")) throw invalidParam(`${roomId} is not a room id`);
      if (block) storage.roomBlocks.block(roomId, requester.userId, clock.now());
      else storage.roomBlocks.unblock(roomId);
      return { block };
    },

    /**
     * `POST /_synapse/admin/v1/rooms/{roomId}/make_room_admin`: the local member with the most
     * power (able to change power levels) gives `userId` its own level (100 when it is a v12
     * creator), then invites them if needed, and they join.
     */
    async makeRoomAdmin(roomId: string, userId: string): Promise<void> {
      if (!isLocal(userId) || !storage.accounts.getUser(userId)) throw invalidParam(`${userId} is not a user of this server`);
      const row = storage.rooms.get(roomId);
      if (!row) throw notFound(`Room ${roomId} is not known to this server`);
      const rules = rulesFor(row.room_version);
      const state = currentState(roomId);
      const auth = authMapOf(state, rooms.eventStore, [CREATE, POWER_LEVELS]);
      const needed = requiredPowerLevel("m.room.power_levels", true, auth, rules);
      const granter = storage.memberships
        .usersWith(roomId, "join")
        .filter(isLocal)
        .map((u) => ({ userId: u, level: powerLevelOf(u, auth, rules) }))
        .sort((a, b) => b.level - a.level)[0];
      if (!granter || granter.level < needed) throw new MatrixError(400, "M_UNKNOWN", "No local member of the room may change its power levels");
      const current = contentOf(state, "m.room.power_levels");
      if (!current) throw new MatrixError(400, "M_UNKNOWN", "The room has no power levels event");
      const users = { ...((current.users as JsonObject | undefined) ?? {}) };
      const level = Number.isFinite(granter.level) ? granter.level : Math.max(100, ...Object.values(users).filter((v): v is number => typeof v === "number"));
      if (granter.userId !== userId && (users[userId] as number | undefined ?? 0) < level) {
        users[userId] = level;
        await rooms.send.send(roomId, { type: "m.room.power_levels", state_key: "", content: { ...current, users }, sender: granter.userId });
      }
      const memberNow = storage.memberships.get(roomId, userId)?.membership;
      if (memberNow === "join") return;
      const joinRule = field(state, "m.room.join_rules", "join_rule");
      if (memberNow !== "invite" && joinRule !== "public") await membership.invite(actingAs(granter.userId), roomId, userId);
      await membership.join(actingAs(userId), roomId);
    },
  };
}
export type AdminRooms = ReturnType<typeof createAdminRooms>;
