/**
 * Room recency for the sliding sync room list: per room, the position of its newest timeline
 * event and of its newest event of the types that bump it (MSC4186 `bump_stamp`). Shared by
 * every connection and kept current with one range read per new stream position, so ordering
 * a user's rooms costs no read per room once they are known.
 */
import { createLruMap } from "../../../runtime/lru-map";
import type { SlidingSyncRepo } from "../../../storage/sliding-sync";

/** MSC4186: the events that are "proper" activity in a room. */
export const bumpEventTypes = ["m.room.create", "m.room.message", "m.room.encrypted", "m.sticker", "m.call.invite", "m.poll.start", "m.beacon_info"];

export interface Recency {
  latest: number;
  bump: number;
}

const maxRooms = 100_000;

export function createRoomRecency(repo: Pick<SlidingSyncRepo, "recencyInRange" | "latestOfTypes">, latestInRoom: (roomId: string, to: number) => number) {
  const known = createLruMap<string, Recency>({ maxEntries: maxRooms });
  let syncedTo: number | undefined;

  /** Brings the known rooms up to `to` with one read of what happened since the last call. */
  function advance(to: number): void {
    if (syncedTo === undefined) syncedTo = to;
    if (to <= syncedTo) return;
    for (const row of repo.recencyInRange(syncedTo, to, bumpEventTypes)) {
      const entry = known.peek(row.room_id);
      if (!entry) continue;
      entry.latest = Math.max(entry.latest, row.latest);
      if (row.bump !== null) entry.bump = Math.max(entry.bump, row.bump);
    }
    syncedTo = to;
  }

  return {
    /** The room's recency as of `to` (the current room events position). */
    of(roomId: string, to: number): Recency {
      advance(to);
      let entry = known.get(roomId);
      if (!entry) {
        const at = Math.max(to, syncedTo ?? to);
        entry = { latest: latestInRoom(roomId, at), bump: repo.latestOfTypes(roomId, at, bumpEventTypes) };
        known.set(roomId, entry);
      }
      return entry;
    },
  };
}
export type RoomRecency = ReturnType<typeof createRoomRecency>;
