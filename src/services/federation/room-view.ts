/**
 * What federation asks about a room this server holds: its version rules, its current state, the
 * servers with joined members (where our events go), whether a server passes the room's ACL, and
 * the state after a stored event. Read-only; the room pipeline owns all writes.
 */
import {
  isSupportedRoomVersion,
  rulesFor,
  stateKeyOf,
  type Pdu,
  type RoomVersionRules,
} from "../../core";
import type { Storage } from "../../storage";
import type { EventStore } from "../rooms/event-store";
import { forbidden, notFound } from "../matrix-error";
import type { StateMap, StateService } from "../rooms/state";
import { serverAllowedByAcl } from "./inbound/server-acl";

const EMPTY: StateMap = new Map();

export const serverOf = (id: string): string => id.slice(id.indexOf(":") + 1);

export function createRoomView(deps: { storage: Storage; state: StateService; eventStore: EventStore }) {
  const { storage, state, eventStore } = deps;

  function rules(roomId: string): RoomVersionRules | null {
    const room = storage.rooms.get(roomId);
    return room && isSupportedRoomVersion(room.room_version) ? rulesFor(room.room_version) : null;
  }

  function currentState(roomId: string): StateMap {
    const group = storage.rooms.get(roomId)?.state_group;
    return group == null ? EMPTY : state.stateOfGroup(group);
  }

  function stateEvent(s: StateMap, type: string, stateKey = ""): Pdu | null {
    const id = s.get(stateKeyOf(type, stateKey));
    return id === undefined ? null : eventStore.getPdu(id);
  }

  /** Servers with at least one joined member in the room's current state. */
  function joinedServers(roomId: string): string[] {
    return [...new Set(storage.memberships.usersWith(roomId, "join").map(serverOf))];
  }

  function serverAllowed(roomId: string, serverName: string): boolean {
    return serverAllowedByAcl(stateEvent(currentState(roomId), "m.room.server_acl")?.content, serverName);
  }

  return {
    rules,
    currentState,
    stateEvent,
    joinedServers,
    serverAllowed,

    /** The room's rules, or 404 when this server does not hold the room. */
    requireRoom(roomId: string): RoomVersionRules {
      const r = rules(roomId);
      if (!r) throw notFound(`Room ${roomId} is not known to this server`);
      return r;
    },

    /** 403 unless the room's ACL admits `origin`. */
    requireAllowed(roomId: string, origin: string): void {
      if (!serverAllowed(roomId, origin)) throw forbidden(`Server ${origin} is banned from room ${roomId} by its ACL`);
    },

    /** 403 unless `origin` has a joined member in the room (reads are for participants). */
    requireParticipant(roomId: string, origin: string): void {
      if (!joinedServers(roomId).includes(origin)) throw forbidden(`Server ${origin} is not in room ${roomId}`);
    },

    /** The state after a stored, non-outlier event (null when we do not hold its state). */
    stateAfter(eventId: string): StateMap | null {
      const row = storage.events.get(eventId);
      if (!row || row.outlier || row.state_after === null) return null;
      return state.stateOfGroup(row.state_after);
    },

    /** The state before a stored, non-outlier event. */
    stateBefore(eventId: string): StateMap | null {
      const row = storage.events.get(eventId);
      if (!row || row.outlier) return null;
      return row.state_before === null ? EMPTY : state.stateOfGroup(row.state_before);
    },
  };
}
export type RoomView = ReturnType<typeof createRoomView>;
