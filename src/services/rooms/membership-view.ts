/**
 * The read-only view of room membership that typing, receipts, presence and `/sync` need: who is
 * joined where. Built over the rooms area's membership table, so these services never depend on
 * how rooms are written.
 */
import type { Storage } from "../../storage";

export interface MembershipView {
  isJoined(roomId: string, userId: string): boolean;
  joinedMembers(roomId: string): string[];
  joinedRooms(userId: string): string[];
  /** Everyone who shares a joined room with `userId`, `userId` included. */
  usersSharingRooms(userId: string): Set<string>;
  sharesRoom(a: string, b: string): boolean;
}

export function createMembershipView(storage: Storage): MembershipView {
  const { memberships } = storage;
  const joinedRooms = (userId: string) =>
    memberships.forUser(userId).filter((m) => m.membership === "join").map((m) => m.room_id);
  return {
    isJoined: (roomId, userId) => memberships.get(roomId, userId)?.membership === "join",
    joinedMembers: (roomId) => memberships.usersWith(roomId, "join"),
    joinedRooms,
    usersSharingRooms(userId) {
      const users = new Set([userId]);
      for (const roomId of joinedRooms(userId)) for (const u of memberships.usersWith(roomId, "join")) users.add(u);
      return users;
    },
    sharesRoom(a, b) {
      if (a === b) return true;
      return joinedRooms(a).some((roomId) => memberships.get(roomId, b)?.membership === "join");
    },
  };
}
