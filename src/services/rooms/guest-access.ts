/**
 * Spec "Guest access", server behaviour: guests may join a room only while its
 * `m.room.guest_access` is `can_join`, and when a change stops that being so, the server sets its
 * guest users' `m.room.member` to `leave`. Which users those are is decided here, purely; like
 * Synapse, joined and invited local guests are removed, each by a leave of their own (which needs
 * no power level, unlike a kick).
 */
import { stateKeyOf, type JsonObject, type StateKey } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventStore } from "./event-store";
import type { EventsService } from "./send";
import type { Logger } from "../../runtime/logger";
import { MatrixError } from "../matrix-error";
import type { RoomHeads } from "./heads";
import type { RoomQueue } from "./queue";
import type { StateService } from "./state";
import { errorMessage } from "../../core";

/** Whether the room's `m.room.guest_access` content lets guests join (absent or unknown: no). */
export function guestsCanJoin(guestAccess: JsonObject | undefined): boolean {
  return guestAccess?.guest_access === "can_join";
}

/**
 * The members who must leave under the room's current guest access: none while guests can join,
 * else every local guest whose membership is `join` or `invite`.
 */
export function guestsToRemove(
  guestAccess: JsonObject | undefined,
  members: Iterable<{ userId: string; membership: string }>,
  isLocalGuest: (userId: string) => boolean,
): string[] {
  if (guestsCanJoin(guestAccess)) return [];
  const out: string[] = [];
  for (const { userId, membership } of members) {
    if ((membership === "join" || membership === "invite") && isLocalGuest(userId)) out.push(userId);
  }
  return out;
}

export interface GuestAccessDeps {
  storage: Storage;
  queue: RoomQueue;
  heads: RoomHeads;
  state: StateService;
  eventStore: EventStore;
  events: EventsService;
  serverName: string;
  log: Logger;
}

const GUEST_ACCESS = stateKeyOf("m.room.guest_access", "");

/**
 * Acts on changes of a room's guest access: after the change has committed (whether a local user
 * or another server made it), the room's current state decides again, so a change that was rolled
 * back or already reverted removes nobody.
 */
export function createGuestAccessEnforcer(deps: GuestAccessDeps) {
  const { storage, heads, state, eventStore, events, serverName } = deps;

  const isLocalGuest = (userId: string) =>
    userId.endsWith(`:${serverName}`) && storage.accounts.getUser(userId)?.is_guest === 1;

  /** Sends the leave of every guest the room's current guest access no longer admits. */
  function removeBarredGuests(roomId: string): Promise<void> {
    return deps.queue.run(roomId, (ctx) => {
      const head = heads.get(roomId);
      if (!head || head.stateGroup === null) return;
      const id = state.stateOfGroup(head.stateGroup).get(GUEST_ACCESS);
      const guestAccess = id === undefined ? undefined : eventStore.getPdu(id)?.content;
      const members = ["join", "invite"].flatMap((membership) =>
        storage.memberships.usersWith(roomId, membership).map((userId) => ({ userId, membership })),
      );
      for (const guest of guestsToRemove(guestAccess, members, isLocalGuest)) {
        try {
          events.append(head, { type: "m.room.member", state_key: guest, content: { membership: "leave" }, sender: guest }, ctx);
        } catch (e) {
          // A refused leave wrote nothing (the builder refuses before the persister writes).
          if (!(e instanceof MatrixError)) throw e;
        }
      }
    });
  }

  return {
    /** For the persister's `onCurrentStateChange`. */
    onCurrentStateChange(roomId: string, changed: ReadonlyMap<StateKey, string | null>): void {
      // Queued now, run once the transaction holding the change has committed.
      if (!changed.has(GUEST_ACCESS)) return;
      removeBarredGuests(roomId).catch((e: unknown) =>
        deps.log.error("removing guests after a guest access change failed", { roomId, error: errorMessage(e) }),
      );
    },
    removeBarredGuests,
  };
}
