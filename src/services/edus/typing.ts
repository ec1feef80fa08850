/**
 * Typing notifications (spec "Typing Notifications"): who is typing in which room, held in memory
 * with one expiry timer per typing user. Every start and stop (by request or by timeout) moves the
 * typing stream, wakes the room's joined members' `/sync`, and is told to listeners (the federation
 * sender relays both directions to other servers).
 * The stream lives in memory and restarts at zero with each process (the sync token's epoch says which).
 */
import type { Requester } from "../accounts/access-tokens";
import { forbidden } from "../matrix-error";
import type { MembershipView } from "../rooms/membership-view";
import type { Clock } from "../../runtime/clock";
import type { Notifier } from "../sync/notifier";

export interface TypingChange {
  roomId: string;
  userId: string;
  typing: boolean;
}

/** Clients refresh typing every 20-30 s; a longer request is capped so a lost stop still ends. */
const maxTimeoutMs = 120_000;
const defaultTimeoutMs = 30_000;

interface RoomTyping {
  /** Typing users, each with the cancel function of their expiry. */
  users: Map<string, () => void>;
  /** The stream position of this room's last change. */
  changedAt: number;
}

export function createTypingService(deps: { members: MembershipView; notifier: Notifier; clock: Clock }) {
  const { members, notifier, clock } = deps;
  const rooms = new Map<string, RoomTyping>();
  const listeners = new Set<(change: TypingChange) => void>();
  let position = 0;

  function changed(roomId: string, room: RoomTyping, userId: string, typing: boolean): void {
    room.changedAt = ++position;
    notifier.wakeUsers(members.joinedMembers(roomId));
    for (const listener of listeners) listener({ roomId, userId, typing });
  }

  function stop(roomId: string, userId: string): void {
    const room = rooms.get(roomId);
    const cancel = room?.users.get(userId);
    if (!room || cancel === undefined) return;
    cancel();
    room.users.delete(userId);
    changed(roomId, room, userId, false);
  }

  function start(roomId: string, userId: string, timeoutMs: number): void {
    let room = rooms.get(roomId);
    if (!room) rooms.set(roomId, (room = { users: new Map(), changedAt: 0 }));
    const previous = room.users.get(userId);
    previous?.();
    room.users.set(userId, clock.schedule(Math.min(Math.max(timeoutMs, 0), maxTimeoutMs), () => stop(roomId, userId)));
    // A refresh of someone already typing changes nothing anyone can see.
    if (previous === undefined) changed(roomId, room, userId, true);
  }

  return {
    /** PUT /rooms/{roomId}/typing/{userId}: only for yourself, only in a room you have joined. */
    setTyping(requester: Requester, roomId: string, userId: string, typing: boolean, timeoutMs?: number): void {
      if (requester.userId !== userId) throw forbidden("Cannot set the typing state of another user");
      if (!members.isJoined(roomId, userId)) throw forbidden("You are not joined to this room");
      // A shadow-banned user's typing is accepted and shown to nobody.
      if (requester.shadowBanned) return;
      if (typing) start(roomId, userId, timeoutMs ?? defaultTimeoutMs);
      else stop(roomId, userId);
    },

    /** A change from another server, for one of its users (federation has checked the room). */
    applyRemote(roomId: string, userId: string, typing: boolean): void {
      if (typing) start(roomId, userId, defaultTimeoutMs);
      else stop(roomId, userId);
    },

    typingUsers(roomId: string): string[] {
      return [...(rooms.get(roomId)?.users.keys() ?? [])];
    },

    /** The room's position of last change, 0 if nothing ever changed there in this process. */
    changedAt(roomId: string): number {
      return rooms.get(roomId)?.changedAt ?? 0;
    },

    position: () => position,

    /** Subscribes to every start and stop; returns the unsubscribe function. */
    onChange(listener: (change: TypingChange) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
export type TypingService = ReturnType<typeof createTypingService>;
