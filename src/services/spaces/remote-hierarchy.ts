/**
 * Rooms this server is not in, described by a server that is: `GET /_matrix/federation/v1/
 * hierarchy/{roomId}` asked of the `via` servers in turn. Answers are checked (the room asked
 * for, well-formed chunks) and kept for a few minutes, as the spec asks of callers.
 */
import { errorMessage, type JsonObject } from "../../core";
import { isJsonObject } from "../../core/types";
import type { FederationClient } from "../../net/federation-client";
import type { Clock } from "../../runtime/clock";
import { createLruMap } from "../../runtime/lru-map";
import type { Logger } from "../../runtime/logger";

/** A server's answer about one room: the room with its children's state, what it knows of them. */
export interface RemoteHierarchy {
  room: JsonObject;
  children: JsonObject[];
  inaccessible: string[];
}

const CACHE_MS = 5 * 60_000;
const CACHE_ENTRIES = 1000;

/** A chunk of the RoomSummary shape with the required fields (other fields pass as given). */
function isChunk(value: unknown): value is JsonObject {
  return isJsonObject(value) && typeof value.room_id === "string" && typeof value.num_joined_members === "number"
    && typeof value.world_readable === "boolean" && typeof value.guest_can_join === "boolean";
}

function parse(roomId: string, body: unknown): RemoteHierarchy | null {
  if (!isJsonObject(body) || !isChunk(body.room) || body.room.room_id !== roomId) return null;
  const children = Array.isArray(body.children) ? body.children.filter(isChunk) : [];
  const inaccessible = Array.isArray(body.inaccessible_children) ? body.inaccessible_children.filter((id): id is string => typeof id === "string") : [];
  const room = { ...body.room, children_state: Array.isArray(body.room.children_state) ? body.room.children_state : [] };
  return { room, children, inaccessible };
}

export function createRemoteHierarchy(deps: { serverName: string; client: FederationClient; clock: Clock; log: Logger }) {
  const { client, clock } = deps;
  const cache = createLruMap<string, { at: number; value: RemoteHierarchy }>({ maxEntries: CACHE_ENTRIES });

  return {
    /** The first well-formed answer of the `via` servers (never ourselves), or null. */
    async fetch(roomId: string, via: readonly string[], suggestedOnly: boolean): Promise<RemoteHierarchy | null> {
      const key = `${roomId}\u0000${suggestedOnly}`;
      const hit = cache.get(key);
      if (hit && clock.now() - hit.at < CACHE_MS) return hit.value;
      for (const server of new Set(via)) {
        if (server === deps.serverName) continue;
        try {
          const body = await client.request<unknown>(server, {
            method: "GET",
            path: `/_matrix/federation/v1/hierarchy/${encodeURIComponent(roomId)}?suggested_only=${suggestedOnly}`,
          });
          const value = parse(roomId, body);
          if (!value) {
            deps.log.info("hierarchy answer not understood", { server, room_id: roomId });
            continue;
          }
          cache.set(key, { at: clock.now(), value });
          return value;
        } catch (e) {
          deps.log.debug("hierarchy request failed", { server, room_id: roomId, error: errorMessage(e) });
        }
      }
      return null;
    },
  };
}
export type RemoteHierarchyClient = ReturnType<typeof createRemoteHierarchy>;
