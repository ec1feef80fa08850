/**
 * Room aliases and the published room directory (spec "Room aliases", "Listing rooms"): alias
 * mapping, the aliases of a room, publication of a room, and the paged public rooms list with
 * a generic search term. Appservices publish rooms in lists of their own, one per network (spec
 * "Application service room directories"); a public rooms request names one by
 * `third_party_instance_id` or takes them all with `include_all_networks`, and the main list
 * holds only what users published. Also checks the aliases an m.room.canonical_alias event
 * names. Aliases an application service holds exclusively are its own to create and delete; an
 * appservice manages every alias of its namespace (spec "Server admin style permissions").
 */
import { instanceIdSplits, isInNamespace, powerLevelOf, requiredPowerLevel, type Appservice } from "../../core";
import { rulesFor } from "../../core/room-versions";
import { stateKeyOf, type JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { Requester } from "../accounts/access-tokens";
import { authMapOf } from "./auth-inputs";
import type { EventStore } from "./event-store";
import { MatrixError, exclusive, forbidden, invalidParam, notFound } from "../matrix-error";
import type { RoomSummaries } from "./summary";
import type { StateService } from "./state";
import type { Visibility } from "./visibility";

const ALIAS = /^#[^:\s]+:[^\s]+$/;
const AUTH_KEYS = [stateKeyOf("m.room.create", ""), stateKeyOf("m.room.power_levels", "")];

export const badAlias = (msg: string) => new MatrixError(400, "M_BAD_ALIAS", msg);

export interface PublicRoomsQuery {
  limit?: number;
  since?: string;
  filter?: { generic_search_term?: string };
  include_all_networks?: boolean;
  third_party_instance_id?: string;
}

export function createDirectoryService(deps: {
  storage: Storage;
  state: StateService;
  eventStore: EventStore;
  summaries: RoomSummaries;
  visibility: Visibility;
  serverName: string;
  now(): number;
  appservices: { get(id: string): Appservice | undefined; exclusiveOwner(kind: "aliases", alias: string): Appservice | undefined };
}) {
  const { storage, serverName } = deps;

  /**
   * M_EXCLUSIVE unless the requester may manage the alias as far as appservices go: an
   * appservice only inside its namespace, anyone else only outside every exclusive one.
   * Returns whether the requester is an appservice managing its own alias.
   */
  function checkAppserviceClaim(requester: Requester, alias: string): boolean {
    const owner = deps.appservices.exclusiveOwner("aliases", alias);
    const acting = requester.appservice && deps.appservices.get(requester.appservice.id);
    if (acting) {
      if (!isInNamespace(acting, "aliases", alias)) throw exclusive(`${alias} is outside the namespace of the application service ${acting.registration.id}`);
      if (owner && owner !== acting) throw exclusive(`${alias} is reserved by the application service ${owner.registration.id}`);
      return true;
    }
    if (owner) throw exclusive(`${alias} is reserved by the application service ${owner.registration.id}`);
    return false;
  }

  const checkAlias = (alias: string) => {
    if (!ALIAS.test(alias) || Buffer.byteLength(alias) > 255) throw invalidParam(`${JSON.stringify(alias)} is not a valid room alias`);
  };
  const isLocal = (alias: string) => alias.slice(alias.indexOf(":") + 1) === serverName;

  /** Whether `userId` holds the power to send a state event of `type` in the room's current state. */
  const maySend = (userId: string, roomId: string, type: string): boolean => {
    const room = storage.rooms.get(roomId);
    if (room?.state_group == null) return false;
    const rules = rulesFor(room.room_version);
    const auth = authMapOf(deps.state.stateOfGroup(room.state_group), deps.eventStore, AUTH_KEYS);
    return powerLevelOf(userId, auth, rules) >= requiredPowerLevel(type, true, auth, rules);
  };

  /** The appservice network a `third_party_instance_id` names. */
  function instanceNetwork(instanceId: string): { appserviceId: string; networkId: string } {
    const split = instanceIdSplits(instanceId).find((s) => deps.appservices.get(s.appserviceId));
    if (!split) throw invalidParam(`${JSON.stringify(instanceId)} is not a third-party instance id of this server`);
    return split;
  }

  /** The rooms of the lists a public rooms request asks for: the main list unless it names others. */
  function listedRooms(query: PublicRoomsQuery): string[] {
    if (query.include_all_networks) return [...new Set([...storage.rooms.published(), ...storage.appserviceRoomLists.allRooms()])];
    if (query.third_party_instance_id !== undefined) {
      const { appserviceId, networkId } = instanceNetwork(query.third_party_instance_id);
      return storage.appserviceRoomLists.rooms(appserviceId, networkId);
    }
    return storage.rooms.published();
  }

  function resolveAlias(alias: string): { room_id: string; servers: string[] } {
    checkAlias(alias);
    const row = storage.aliases.get(alias);
    if (!row) throw notFound(`Room alias ${alias} not found`);
    return { room_id: row.room_id, servers: [serverName] };
  }

  return {
    resolveAlias,

    /** A room id as given, or the room a local alias points at. */
    resolveRoom(roomIdOrAlias: string): string {
      if (roomIdOrAlias.startsWith("!")) return roomIdOrAlias;
      if (roomIdOrAlias.startsWith("#")) return resolveAlias(roomIdOrAlias).room_id;
      throw invalidParam(`${JSON.stringify(roomIdOrAlias)} is neither a room id nor a room alias`);
    },

    createAlias(requester: Requester, alias: string, roomId: string): void {
      checkAlias(alias);
      if (!isLocal(alias)) throw invalidParam(`Aliases can only be created on ${serverName}`);
      checkAppserviceClaim(requester, alias);
      if (!storage.rooms.get(roomId)) throw notFound(`Room ${roomId} is not known to this server`);
      if (!storage.aliases.insert(alias, roomId, requester.userId, deps.now())) {
        throw new MatrixError(409, "M_UNKNOWN", `Room alias ${alias} already exists`);
      }
    },

    /** The alias's creator, or anyone allowed to change the room's canonical alias, may delete it. Returns its room. */
    deleteAlias(requester: Requester, alias: string): string {
      checkAlias(alias);
      const row = storage.aliases.get(alias);
      if (!row) throw notFound(`Room alias ${alias} not found`);
      const ownAppserviceAlias = checkAppserviceClaim(requester, alias);
      if (!ownAppserviceAlias && row.creator !== requester.userId && !maySend(requester.userId, row.room_id, "m.room.canonical_alias")) {
        throw forbidden("You may not delete this alias");
      }
      storage.aliases.delete(alias);
      return row.room_id;
    },

    /** The local aliases of a room, for members (or anyone while it is world-readable). */
    roomAliases(requester: Requester, roomId: string): { aliases: string[] } {
      deps.visibility.readableState(requester.userId, roomId);
      return { aliases: storage.aliases.forRoom(roomId) };
    },

    /** 400 M_BAD_ALIAS unless every alias an m.room.canonical_alias event names points at the room. */
    checkCanonicalAlias(roomId: string, content: JsonObject): void {
      const names: unknown[] = [];
      if (content.alias !== undefined && content.alias !== null) names.push(content.alias);
      if (content.alt_aliases !== undefined) {
        if (!Array.isArray(content.alt_aliases)) throw invalidParam("alt_aliases must be a list of aliases");
        names.push(...content.alt_aliases);
      }
      for (const alias of names) {
        if (typeof alias !== "string") throw invalidParam("aliases must be strings");
        checkAlias(alias);
        // Remote aliases need a federation query; local ones must map to this room.
        if (isLocal(alias) && storage.aliases.get(alias)?.room_id !== roomId) {
          throw badAlias(`Room alias ${alias} does not point to ${roomId}`);
        }
      }
    },

    getVisibility(roomId: string): { visibility: "public" | "private" } {
      const room = storage.rooms.get(roomId);
      if (!room) throw notFound(`Room ${roomId} is not known to this server`);
      return { visibility: room.published ? "public" : "private" };
    },

    setVisibility(requester: Requester, roomId: string, visibility: "public" | "private"): void {
      if (!storage.rooms.get(roomId)) throw notFound(`Room ${roomId} is not known to this server`);
      if (!maySend(requester.userId, roomId, "m.room.canonical_alias")) {
        throw forbidden("You need permission to change the room's canonical alias to publish it");
      }
      storage.rooms.setPublished(roomId, visibility === "public");
    },

    /** `PUT /directory/list/appservice/{networkId}/{roomId}`: only an appservice, in its own list. */
    setAppserviceVisibility(requester: Requester, networkId: string, roomId: string, visibility: "public" | "private"): void {
      const appserviceId = requester.appservice?.id;
      if (appserviceId === undefined) throw forbidden("Only an application service may edit its room directory");
      if (!storage.rooms.get(roomId)) throw notFound(`Room ${roomId} is not known to this server`);
      storage.appserviceRoomLists.setPublished(appserviceId, networkId, roomId, visibility === "public");
    },

    publicRooms(query: PublicRoomsQuery): JsonObject {
      const term = query.filter?.generic_search_term?.toLowerCase();
      const all = listedRooms(query)
        .map((id) => deps.summaries.summary(id))
        .filter((s): s is JsonObject => s !== null)
        .filter((s) => !term || ["name", "topic", "canonical_alias", "room_id"].some((f) => String(s[f] ?? "").toLowerCase().includes(term)))
        .sort((a, b) => (b.num_joined_members as number) - (a.num_joined_members as number) || String(a.room_id).localeCompare(String(b.room_id)));
      const offset = parseSince(query.since);
      const limit = query.limit !== undefined && query.limit > 0 ? query.limit : all.length;
      const chunk = all.slice(offset, offset + limit);
      const out: JsonObject = { chunk, total_room_count_estimate: all.length };
      if (offset + limit < all.length) out.next_batch = `o${offset + limit}`;
      if (offset > 0) out.prev_batch = `o${Math.max(0, offset - limit)}`;
      return out;
    },
  };
}
export type DirectoryService = ReturnType<typeof createDirectoryService>;

function parseSince(since: string | undefined): number {
  if (since === undefined || since === "") return 0;
  const m = /^o(\d{1,9})$/.exec(since);
  if (!m) throw invalidParam("Unknown pagination token");
  return Number(m[1]);
}
