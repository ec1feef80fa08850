/**
 * The public face of a room read from its current state: what the published room directory lists
 * (spec `PublishedRoomsChunk`) and what a room preview shows.
 */
import { stateKeyOf, type JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventStore } from "./event-store";
import { guestsCanJoin } from "./guest-access";
import type { StateService } from "./state";

export function createRoomSummaries(deps: { storage: Storage; state: StateService; eventStore: EventStore }) {
  const { storage, state, eventStore } = deps;

  return {
    /** The directory chunk of a room, or null when the room is unknown. */
    summary(roomId: string): JsonObject | null {
      const group = storage.rooms.get(roomId)?.state_group;
      if (group == null) return null;
      const current = state.stateOfGroup(group);
      const content = (type: string): JsonObject | undefined => {
        const id = current.get(stateKeyOf(type, ""));
        return id === undefined ? undefined : eventStore.getPdu(id)?.content;
      };
      const chunk: JsonObject = {
        room_id: roomId,
        num_joined_members: storage.memberships.count(roomId, "join"),
        world_readable: content("m.room.history_visibility")?.history_visibility === "world_readable",
        guest_can_join: guestsCanJoin(content("m.room.guest_access")),
        join_rule: typeof content("m.room.join_rules")?.join_rule === "string" ? content("m.room.join_rules")!.join_rule! : "invite",
      };
      const strings: Array<[string, string, string]> = [
        ["name", "m.room.name", "name"],
        ["topic", "m.room.topic", "topic"],
        ["canonical_alias", "m.room.canonical_alias", "alias"],
        ["avatar_url", "m.room.avatar", "url"],
      ];
      for (const [field, type, key] of strings) {
        const value = content(type)?.[key];
        if (typeof value === "string" && value !== "") chunk[field] = value;
      }
      const roomType = content("m.room.create")?.type;
      if (typeof roomType === "string") chunk.room_type = roomType;
      return chunk;
    },
  };
}
export type RoomSummaries = ReturnType<typeof createRoomSummaries>;
