/**
 * Spec "Room Upgrades": once one of our users is in a room that replaced another (the old room's
 * tombstone names it), what this server keeps for the old room follows it, as Synapse does: the
 * user's `m.direct` entries, room tags and push rules for the room, and the old room's local
 * aliases and room-directory entry. The tombstone is what makes the claim: a create event alone
 * could name any room as its predecessor.
 */
import { isJsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { AccountDataService } from "../accounts/account-data";
import type { PushRulesService } from "../push/rules";
import type { EventStore } from "../rooms/event-store";
import { moveDirectoryEntries } from "../rooms/upgrade";

export function createReplacementRooms(deps: {
  storage: Storage;
  eventStore: EventStore;
  accountData: Pick<AccountDataService, "copyForRoom">;
  pushRules: Pick<PushRulesService, "copyForRoom">;
}) {
  const { storage, eventStore } = deps;

  const contentOf = (roomId: string, type: string) => {
    const id = storage.state.currentStateEvent(roomId, type, "");
    return id === null ? undefined : eventStore.getPdu(id)?.content;
  };

  /** The room `roomId` replaced, when its predecessor is known here and tombstoned towards it. */
  function replacedBy(roomId: string): string | null {
    const predecessor = contentOf(roomId, "m.room.create")?.predecessor;
    const old = isJsonObject(predecessor) && typeof predecessor.room_id === "string" ? predecessor.room_id : null;
    if (old === null || old === roomId) return null;
    return contentOf(old, "m.room.tombstone")?.replacement_room === roomId ? old : null;
  }

  return {
    /** After `userId` (ours) joined `roomId`. Repeating it changes nothing more. */
    joined(userId: string, roomId: string): void {
      const old = replacedBy(roomId);
      if (old === null) return;
      if (storage.memberships.get(old, userId)) {
        deps.accountData.copyForRoom(userId, old, roomId);
        deps.pushRules.copyForRoom(userId, old, roomId);
      }
      moveDirectoryEntries(storage, old, roomId);
    },
  };
}
export type ReplacementRooms = ReturnType<typeof createReplacementRooms>;
