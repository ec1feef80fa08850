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
  /** Who became or may have stopped being `userId`'s company between two room-event positions. */
  companyChanges(userId: string, from: number, to: number): CompanyChanges;
}

/**
 * How a user's company changed between two room-event positions: `joined` holds everyone of a
 * room the user joined and who joined a room they were already in; `invited` who was invited to
 * or knocked on one; `maybeLeft` everyone of a room the user left and who left or was banned
 * from one (they may still share another room).
 */
export interface CompanyChanges {
  joined: Set<string>;
  invited: Set<string>;
  maybeLeft: Set<string>;
}

const GONE = new Set(["leave", "ban"]);

export function companyChanges(storage: Storage, userId: string, from: number, to: number): CompanyChanges {
  const changes: CompanyChanges = { joined: new Set(), invited: new Set(), maybeLeft: new Set() };
  if (from >= to) return changes;
  const joinedEarlier = new Set<string>();
  for (const m of storage.memberships.forUser(userId)) {
    const changedHere = m.stream_ordering > from && m.stream_ordering <= to;
    if (m.membership === "join" && changedHere) {
      // The user joined: everyone here is new company.
      for (const u of storage.memberships.usersWith(m.room_id, "join")) changes.joined.add(u);
    } else if (m.membership === "join") {
      joinedEarlier.add(m.room_id);
    } else if (changedHere) {
      // The user left: everyone who was here may be gone from their company.
      for (const u of storage.memberships.usersWith(m.room_id, "join")) changes.maybeLeft.add(u);
      for (const c of storage.memberships.changedSince(m.room_id, from, to)) if (GONE.has(c.membership)) changes.maybeLeft.add(c.user_id);
    }
  }
  // Rooms the user was already in: who joined or left them meanwhile (one query for all).
  for (const c of storage.memberships.changedInJoinedRoomsOf(userId, from, to)) {
    if (!joinedEarlier.has(c.room_id)) continue;
    if (c.membership === "join") changes.joined.add(c.user_id);
    else if (c.membership === "invite" || c.membership === "knock") changes.invited.add(c.user_id);
    else if (GONE.has(c.membership)) changes.maybeLeft.add(c.user_id);
  }
  return changes;
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
    companyChanges: (userId, from, to) => companyChanges(storage, userId, from, to),
    sharesRoom(a, b) {
      if (a === b) return true;
      return joinedRooms(a).some((roomId) => memberships.get(roomId, b)?.membership === "join");
    },
  };
}
