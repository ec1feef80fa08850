/**
 * Room membership for local users (spec "Room membership"): join (by id or local alias), knock,
 * invite, leave, kick, ban, unban and forget. Each is an m.room.member event through the local
 * event pipeline, so the auth rules decide and a refusal is 403 M_FORBIDDEN with their reason.
 * Joining a room this server is not in needs federation and is 404 for now.
 */
import type { JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { Requester } from "../accounts/access-tokens";
import type { EventsService } from "../rooms/send";
import { MatrixError, forbidden, notFound } from "../matrix-error";
import { joinContent, memberContent, requireInvitee } from "../rooms/member-content";

export interface MembershipDeps {
  storage: Storage;
  events: EventsService;
  serverName: string;
  /** Resolves a room id or a local alias. */
  resolveRoom(roomIdOrAlias: string): string;
  /** Whether the room's current `m.room.guest_access` is `can_join`. */
  guestsCanJoin(roomId: string): boolean;
}

export function createMembershipService(deps: MembershipDeps) {
  const { storage, events } = deps;

  const requireRoom = (roomId: string) => {
    if (!storage.rooms.get(roomId)) throw notFound(`Room ${roomId} is not known to this server`);
  };

  const withReason = (content: JsonObject, reason: string | undefined): JsonObject =>
    reason === undefined ? content : { ...content, reason };

  /** Sends `membership` for `target` as `sender`. */
  async function setMembership(roomId: string, sender: string, target: string, content: JsonObject) {
    return events.send(roomId, { type: "m.room.member", state_key: target, content, sender });
  }

  return {
    /** `extra`: what the request body adds to the content (see `joinContent`). */
    async join(requester: Requester, roomIdOrAlias: string, extra?: JsonObject): Promise<{ room_id: string }> {
      const roomId = deps.resolveRoom(roomIdOrAlias);
      requireRoom(roomId);
      // Spec "Guest access": guests may join only rooms whose m.room.guest_access is `can_join`.
      if (requester.isGuest && !deps.guestsCanJoin(roomId)) {
        throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guests may not join this room");
      }
      await setMembership(roomId, requester.userId, requester.userId, joinContent(storage, requester.userId, extra));
      return { room_id: roomId };
    },

    async knock(requester: Requester, roomIdOrAlias: string, reason?: string): Promise<{ room_id: string }> {
      const roomId = deps.resolveRoom(roomIdOrAlias);
      requireRoom(roomId);
      const content = withReason(memberContent(storage, requester.userId, "knock"), reason);
      await setMembership(roomId, requester.userId, requester.userId, content);
      return { room_id: roomId };
    },

    async invite(requester: Requester, roomId: string, target: string, reason?: string): Promise<void> {
      requireRoom(roomId);
      requireInvitee(storage, target, deps.serverName);
      const current = storage.memberships.get(roomId, target)?.membership;
      if (current === "join") throw forbidden(`${target} is already in the room`);
      if (current === "ban") throw forbidden(`${target} is banned from the room`);
      await setMembership(roomId, requester.userId, target, withReason(memberContent(storage, target, "invite"), reason));
    },

    /** Leaves a room, or rejects an invite / withdraws a knock. */
    async leave(requester: Requester, roomId: string, reason?: string): Promise<void> {
      requireRoom(roomId);
      const current = storage.memberships.get(roomId, requester.userId)?.membership;
      if (current === undefined || current === "leave") throw forbidden(`${requester.userId} is not in room ${roomId}`);
      await setMembership(roomId, requester.userId, requester.userId, withReason({ membership: "leave" }, reason));
    },

    async kick(requester: Requester, roomId: string, target: string, reason?: string): Promise<void> {
      requireRoom(roomId);
      const current = storage.memberships.get(roomId, target)?.membership;
      if (current !== "join" && current !== "invite" && current !== "knock") {
        throw forbidden(`${target} is not in room ${roomId}`);
      }
      await setMembership(roomId, requester.userId, target, withReason({ membership: "leave" }, reason));
    },

    async ban(requester: Requester, roomId: string, target: string, reason?: string): Promise<void> {
      requireRoom(roomId);
      await setMembership(roomId, requester.userId, target, withReason({ membership: "ban" }, reason));
    },

    async unban(requester: Requester, roomId: string, target: string, reason?: string): Promise<void> {
      requireRoom(roomId);
      if (storage.memberships.get(roomId, target)?.membership !== "ban") throw forbidden(`${target} is not banned`);
      await setMembership(roomId, requester.userId, target, withReason({ membership: "leave" }, reason));
    },

    /** Sends a fresh m.room.member join (current displayname and avatar) into each joined room. */
    async refreshProfile(userId: string): Promise<void> {
      const joined = storage.memberships.forUser(userId).filter((m) => m.membership === "join");
      await Promise.all(
        joined.map((m) =>
          setMembership(m.room_id, userId, userId, memberContent(storage, userId, "join")).catch((e: unknown) => {
            // A room whose rules no longer let the user change their membership keeps the old profile.
            if (!(e instanceof MatrixError)) throw e;
          }),
        ),
      );
    },

    /** Leaves every joined room and rejects every invite and knock (account deactivation). */
    async leaveAll(userId: string): Promise<void> {
      const active = storage.memberships.forUser(userId).filter((m) => ["join", "invite", "knock"].includes(m.membership));
      await Promise.all(
        active.map((m) =>
          setMembership(m.room_id, userId, userId, { membership: "leave" }).catch((e: unknown) => {
            if (!(e instanceof MatrixError)) throw e;
          }),
        ),
      );
    },

    /** Hides a room the user has left from their room lists; 400 while they are still in it. */
    forget(requester: Requester, roomId: string): void {
      const current = storage.memberships.get(roomId, requester.userId);
      if (!current) return;
      if (current.membership === "join" || current.membership === "invite" || current.membership === "knock") {
        throw new MatrixError(400, "M_UNKNOWN", `User ${requester.userId} is in room ${roomId}`);
      }
      storage.memberships.forget(roomId, requester.userId);
    },
  };
}
export type MembershipService = ReturnType<typeof createMembershipService>;
