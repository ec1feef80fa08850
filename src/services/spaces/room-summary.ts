/**
 * Room summaries (spec v1.15 "GET /room_summary", MSC3266): what a room is before joining it, by
 * id or alias, from our own state when we are in the room, else from a `via` server's hierarchy
 * answer. Without a token only rooms open to anyone are described; with one, rooms the user may
 * see or has a membership in, with that `membership`. Anything else is 404, as an unknown room.
 */
import type { JsonObject } from "../../core/types";
import type { Requester } from "../accounts/access-tokens";
import type { FederatedDirectory } from "../federation/remote-directory";
import { serverOf } from "../federation/room-view";
import { invalidParam, notFound } from "../matrix-error";
import type { RemoteHierarchyClient } from "./remote-hierarchy";
import type { SpaceRooms } from "./space-rooms";

export function createRoomSummary(deps: { rooms: SpaceRooms; remote: RemoteHierarchyClient; directory: FederatedDirectory }) {
  const { rooms, remote, directory } = deps;

  /** The room id and where to ask about it: `via`, else the servers the alias named. */
  async function target(roomIdOrAlias: string, via: readonly string[]): Promise<{ roomId: string; via: string[] }> {
    if (roomIdOrAlias.startsWith("!")) {
      // Room ids before v12 name a server that was in the room.
      const origin = roomIdOrAlias.includes(":") ? [serverOf(roomIdOrAlias)] : [];
      return { roomId: roomIdOrAlias, via: [...via, ...origin] };
    }
    if (!roomIdOrAlias.startsWith("#")) throw invalidParam(`${JSON.stringify(roomIdOrAlias)} is neither a room id nor an alias`);
    const { room_id, servers } = await directory.resolveAlias(roomIdOrAlias);
    return { roomId: room_id, via: [...via, ...servers] };
  }

  return {
    async summary(requester: Requester | undefined, roomIdOrAlias: string, via: readonly string[]): Promise<JsonObject> {
      const { roomId, via: servers } = await target(roomIdOrAlias, via);
      let chunk: JsonObject | undefined;
      if (rooms.participates(roomId)) chunk = rooms.describe(roomId)?.chunk;
      else chunk = (await remote.fetch(roomId, servers, false))?.room;
      const unknown = () => notFound(`Room ${roomIdOrAlias} not found or not visible`);
      if (!chunk) throw unknown();
      const { children_state: _, ...summary } = chunk;
      if (!requester) {
        if (!rooms.openToAll(summary)) throw unknown();
        return summary;
      }
      const membership = rooms.membershipOf(roomId, requester.userId);
      if (!rooms.visibleTo(requester.userId, summary) && membership !== "knock") throw unknown();
      return { ...summary, membership: membership ?? "leave" };
    },
  };
}
export type RoomSummaryService = ReturnType<typeof createRoomSummary>;
