/**
 * History visibility (spec "Room History Visibility", server behaviour), the one check every read
 * path applies: /messages, /context, /event, /state, /members and /sync. An event is judged by
 * the room state at that event:
 *   1. `world_readable` -> allow;  2. the user was joined -> allow;
 *   3. `shared` and the user joined at any point after the event -> allow;
 *   4. the user was invited and visibility `invited` -> allow;  5. otherwise deny.
 * A history visibility event is visible if the rule before OR after it allows; likewise the
 * user's own membership events, judged by the membership before OR after.
 * Room state is readable by members, by former members as it was when they left, and by anyone
 * while the room is `world_readable`.
 */
import { stateKeyOf } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventRow } from "../../storage/events";
import type { EventStore } from "./event-store";
import { forbidden } from "../matrix-error";
import type { StateMap, StateService } from "./state";

const HISTORY_VISIBILITY = stateKeyOf("m.room.history_visibility", "");
const EMPTY: StateMap = new Map();
const KNOWN = new Set(["world_readable", "shared", "invited", "joined"]);

export type StateView = { group: number; current: boolean };

export function createVisibility(deps: { storage: Storage; state: StateService; eventStore: EventStore }) {
  const { storage, state, eventStore } = deps;

  const visibilityIn = (s: StateMap): string => {
    const id = s.get(HISTORY_VISIBILITY);
    const value = id === undefined ? undefined : eventStore.getPdu(id)?.content.history_visibility;
    // Absent or not understood: `shared`.
    return typeof value === "string" && KNOWN.has(value) ? value : "shared";
  };

  const membershipIn = (s: StateMap, userId: string): string => {
    const id = s.get(stateKeyOf("m.room.member", userId));
    const value = id === undefined ? undefined : eventStore.getPdu(id)?.content.membership;
    return typeof value === "string" ? value : "leave";
  };

  /** Steps 1-5 for one (visibility, membership) pair. */
  const allows = (visibility: string, membership: string, joinedLater: () => boolean): boolean =>
    visibility === "world_readable" ||
    membership === "join" ||
    (visibility === "shared" && joinedLater()) ||
    (visibility === "invited" && membership === "invite");

  /** Which of `rows` (all of one room) `userId` may see, in their order. */
  function filterVisible(userId: string, rows: readonly EventRow[]): EventRow[] {
    if (rows.length === 0) return [];
    const roomId = rows[0]!.room_id;
    let joins: number[] | undefined;
    const joinedAfter = (stream: number) => {
      joins ??= storage.events.membershipStreams(roomId, userId, "join");
      return joins.some((s) => s > stream);
    };
    return rows.filter((row) => {
      // The create event is the one timeline event with no state before it.
      const before = row.state_before === null ? EMPTY : state.stateOfGroup(row.state_before);
      const joinedLater = () => joinedAfter(row.stream_ordering);
      const visibility = visibilityIn(before);
      const membership = membershipIn(before, userId);
      if (allows(visibility, membership, joinedLater)) return true;
      const after = row.state_after === null || row.state_after === row.state_before ? null : state.stateOfGroup(row.state_after);
      if (!after) return false;
      if (row.type === "m.room.history_visibility") return allows(visibilityIn(after), membership, joinedLater);
      if (row.type === "m.room.member" && row.state_key === userId) return allows(visibility, membershipIn(after, userId), joinedLater);
      return false;
    });
  }

  /** The state `userId` may read: the current one while joined or world-readable, else as they left it. */
  function readableStateOf(userId: string, roomId: string): StateView | null {
    const room = storage.rooms.get(roomId);
    const member = storage.memberships.get(roomId, userId);
    if (room?.state_group == null) return null;
    if (member?.membership === "join") return { group: room.state_group, current: true };
    if (visibilityIn(state.stateOfGroup(room.state_group)) === "world_readable") return { group: room.state_group, current: true };
    if (member && member.membership !== "invite" && member.membership !== "knock") {
      const left = storage.events.get(member.event_id);
      if (left?.state_after != null) return { group: left.state_after, current: false };
    }
    return null;
  }

  return {
    filterVisible,

    canSee(userId: string, row: EventRow): boolean {
      return filterVisible(userId, [row]).length === 1;
    },

    /**
     * The state `userId` may read in a room: the current state for members and while the room is
     * world-readable, the state as of their leaving for former members; else 403.
     */
    readableState(userId: string, roomId: string): StateView {
      const view = readableStateOf(userId, roomId);
      if (!view) throw forbidden(`${userId} is not in room ${roomId} and the room is not world-readable`);
      return view;
    },

    /** Whether `userId` may read the room's state at all (what `readableState` refuses with 403). */
    mayRead: (userId: string, roomId: string): boolean => readableStateOf(userId, roomId) !== null,

    /** Whether the room currently lets anyone read it. */
    isWorldReadable(roomId: string): boolean {
      const group = storage.rooms.get(roomId)?.state_group;
      return group != null && visibilityIn(state.stateOfGroup(group)) === "world_readable";
    },
  };
}
export type Visibility = ReturnType<typeof createVisibility>;
