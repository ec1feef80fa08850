/**
 * The room events stream: the `rooms` section (timeline, state, summary and counts of each room
 * of the user, with the other streams' share of it), by room event position.
 */
import type { Storage } from "../../../storage";
import type { RoomsSection, SyncRooms } from "../rooms-section";
import type { RoomShare, SyncRequest } from "./stream";

export interface RoomsStream {
  readonly key: "rooms";
  position(): number;
  /** Built last: `shares` are the other streams' parts of each room. */
  section(
    req: SyncRequest,
    since: number | undefined,
    to: number,
    shares: readonly ((roomId: string, full: boolean) => RoomShare | undefined)[],
  ): { rooms: RoomsSection; news: boolean };
}

export function roomsStream(storage: Storage, rooms: SyncRooms): RoomsStream {
  return {
    key: "rooms",
    position: () => storage.events.maxStreamOrdering(),
    section(req, since, to, shares) {
      const ignored = storage.ignoredUsers.ignoredBy(req.userId);
      const section = rooms.build({ ...req, since, to, shares, ignored }, storage.memberships.forUser(req.userId));
      const { join, invite, knock, leave } = section;
      return { rooms: section, news: !(isEmpty(join) && isEmpty(invite) && isEmpty(knock) && isEmpty(leave)) };
    },
  };
}

function isEmpty(o: Record<string, unknown>): boolean {
  for (const _ in o) return false;
  return true;
}
