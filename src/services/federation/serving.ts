/**
 * Room reads for other servers: single events, the state at an event (full or as ids), auth
 * chains, missing events and backfill, and the event closest to a timestamp. Every read is for a
 * server the room's ACL admits; room-wide reads are for servers with members in the room; events
 * are served only where the room's history visibility lets one of the server's users see them.
 * Rejected events are never served; redacted events travel redacted.
 */
import { redact, refId, stateKeyOf, wireForm, type JsonObject, type Pdu, type RoomVersionRules } from "../../core";
import type { Storage } from "../../storage";
import type { EventRow } from "../../storage/events";
import type { Clock } from "../../runtime/clock";
import type { EventStore } from "../rooms/event-store";
import { forbidden, notFound } from "../matrix-error";
import type { StateMap, StateService } from "../rooms/state";
import { serverOf, type RoomView } from "./room-view";

const MAX_BACKFILL = 100;
const MAX_MISSING = 50;

export function createFederationServing(deps: {
  serverName: string;
  storage: Storage;
  clock: Clock;
  view: RoomView;
  eventStore: EventStore;
  state: StateService;
}) {
  const { storage, view, eventStore, state } = deps;

  /** The event as it goes over the wire (redacted if a redaction applies to it). */
  function wireOf(row: EventRow, rules: RoomVersionRules): JsonObject {
    const pdu = eventStore.pduOf(row);
    return wireForm(row.redacted_by ? Object.assign(redact(pdu, rules), { event_id: row.event_id }) : pdu, rules);
  }

  /** A stored event that may be served: known, in this room, not rejected. */
  function servable(eventId: string, roomId?: string): EventRow {
    const row = storage.events.get(eventId);
    if (!row || row.rejected_reason !== null || (roomId !== undefined && row.room_id !== roomId)) {
      throw notFound(`Event ${eventId} is not known here`);
    }
    return row;
  }

  /**
   * History visibility for a server: `world_readable` and `shared` events go to any server in
   * the room; `invited` and `joined` ones only where one of its users was invited or joined.
   */
  function visibleTo(row: EventRow, origin: string): boolean {
    if (row.outlier || row.state_before === null) return true;
    const before = state.stateOfGroup(row.state_before);
    const hvId = before.get(stateKeyOf("m.room.history_visibility", ""));
    const hv = hvId === undefined ? "shared" : eventStore.getPdu(hvId)?.content.history_visibility;
    if (hv === "world_readable" || hv === "shared" || typeof hv !== "string") return true;
    for (const [key, id] of before) {
      if (!key.startsWith("m.room.member\u0000") || serverOf(key.slice("m.room.member\u0000".length)) !== origin) continue;
      const membership = eventStore.getPdu(id)?.content.membership;
      if (membership === "join" || (hv === "invited" && membership === "invite")) return true;
    }
    return false;
  }

  function roomReadable(roomId: string, origin: string): RoomVersionRules {
    const rules = view.requireRoom(roomId);
    view.requireAllowed(roomId, origin);
    view.requireParticipant(roomId, origin);
    return rules;
  }

  /**
   * Every event reachable through `auth_events` from `ids` (not the starting events themselves);
   * since v12 the room's create event too, which events imply rather than cite.
   */
  function authChain(ids: Iterable<string>, roomId?: string): string[] {
    const seen = new Set<string>();
    const stack: string[] = [];
    for (const id of ids) for (const ref of eventStore.getPdu(id)?.auth_events ?? []) stack.push(refId(ref));
    if (roomId !== undefined && view.rules(roomId)?.roomIdIsCreateEventHash) stack.push(`$${roomId.slice(1)}`);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      const pdu = eventStore.getPdu(id);
      if (!pdu) continue;
      seen.add(id);
      for (const ref of pdu.auth_events) stack.push(refId(ref));
    }
    return [...seen];
  }

  /** The state before a non-outlier event of the room. */
  function stateAt(roomId: string, eventId: string): StateMap {
    servable(eventId, roomId);
    const s = view.stateBefore(eventId);
    if (!s) throw notFound(`The state at ${eventId} is not known here`);
    return s;
  }

  const rowsOf = (ids: Iterable<string>) => {
    const rows: EventRow[] = [];
    for (const id of ids) {
      const row = storage.events.get(id);
      if (row && row.rejected_reason === null) rows.push(row);
    }
    return rows;
  };

  return {
    authChain,
    stateAt,
    /** The servable events among `ids`, in wire form. */
    wireEvents(ids: Iterable<string>, rules: RoomVersionRules): JsonObject[] {
      return rowsOf(ids).map((r) => wireOf(r, rules));
    },

    /** `GET /event/{eventId}` */
    getEvent(origin: string, eventId: string) {
      const row = servable(eventId);
      const rules = view.requireRoom(row.room_id);
      view.requireAllowed(row.room_id, origin);
      if (!visibleTo(row, origin)) throw forbidden(`${origin} may not see ${eventId}`);
      return { origin: deps.serverName, origin_server_ts: deps.clock.now(), pdus: [wireOf(row, rules)] };
    },

    /** `GET /state_ids/{roomId}?event_id=` */
    stateIds(origin: string, roomId: string, eventId: string) {
      roomReadable(roomId, origin);
      const s = stateAt(roomId, eventId);
      return { pdu_ids: [...s.values()], auth_chain_ids: authChain(s.values(), roomId) };
    },

    /** `GET /state/{roomId}?event_id=` */
    state(origin: string, roomId: string, eventId: string) {
      const rules = roomReadable(roomId, origin);
      const s = stateAt(roomId, eventId);
      return {
        pdus: rowsOf(s.values()).map((r) => wireOf(r, rules)),
        auth_chain: rowsOf(authChain(s.values(), roomId)).map((r) => wireOf(r, rules)),
      };
    },

    /** `GET /event_auth/{roomId}/{eventId}` */
    eventAuth(origin: string, roomId: string, eventId: string) {
      const rules = roomReadable(roomId, origin);
      servable(eventId, roomId);
      return { auth_chain: rowsOf(authChain([eventId], roomId)).map((r) => wireOf(r, rules)) };
    },

    /** `POST /get_missing_events/{roomId}`: breadth-first back from `latest`, stopping at `earliest`. */
    missingEvents(origin: string, roomId: string, req: { earliest_events?: string[]; latest_events?: string[]; limit?: number; min_depth?: number }) {
      const rules = roomReadable(roomId, origin);
      const limit = Math.min(Math.max(req.limit ?? 10, 0), MAX_MISSING);
      const minDepth = req.min_depth ?? 0;
      const latest = req.latest_events ?? [];
      const seen = new Set([...(req.earliest_events ?? []), ...latest]);
      let frontier = latest.flatMap((id) => (eventStore.getPdu(id)?.prev_events ?? []).map(refId));
      const found: EventRow[] = [];
      while (frontier.length > 0 && found.length < limit) {
        const next: string[] = [];
        for (const id of frontier) {
          if (seen.has(id) || found.length >= limit) continue;
          seen.add(id);
          const row = storage.events.get(id);
          if (!row || row.room_id !== roomId || row.rejected_reason !== null || row.depth < minDepth) continue;
          if (!visibleTo(row, origin)) continue;
          found.push(row);
          next.push(...eventStore.pduOf(row).prev_events.map(refId));
        }
        frontier = next;
      }
      found.sort((a, b) => a.depth - b.depth || a.stream_ordering - b.stream_ordering);
      return { events: found.map((r) => wireOf(r, rules)) };
    },

    /** `GET /backfill/{roomId}?v=&limit=`: the given events and those before them, newest first. */
    backfill(origin: string, roomId: string, from: readonly string[], limitParam: number) {
      const rules = roomReadable(roomId, origin);
      const limit = Math.min(Math.max(limitParam, 0), MAX_BACKFILL);
      const seen = new Set<string>();
      const found: EventRow[] = [];
      // Highest depth first, so the window slides back through history evenly across forks.
      const queue: EventRow[] = rowsOf(from).filter((r) => r.room_id === roomId);
      while (queue.length > 0 && found.length < limit) {
        queue.sort((a, b) => b.depth - a.depth || b.stream_ordering - a.stream_ordering);
        const row = queue.shift()!;
        if (seen.has(row.event_id)) continue;
        seen.add(row.event_id);
        if (row.outlier || !visibleTo(row, origin)) continue;
        found.push(row);
        for (const prev of rowsOf(eventStore.pduOf(row).prev_events.map(refId))) if (!seen.has(prev.event_id)) queue.push(prev);
      }
      return { origin: deps.serverName, origin_server_ts: deps.clock.now(), pdus: found.map((r) => wireOf(r, rules)) };
    },

    /** `GET /timestamp_to_event/{roomId}?ts=&dir=` */
    timestampToEvent(origin: string, roomId: string, ts: number, dir: "b" | "f") {
      roomReadable(roomId, origin);
      const row = storage.events.closestByTimestamp(roomId, ts, dir);
      if (!row || !visibleTo(row, origin)) throw notFound(`No event found ${dir === "b" ? "before" : "after"} ${ts}`);
      return { event_id: row.event_id, origin_server_ts: row.origin_server_ts };
    },
  };
}
export type FederationServing = ReturnType<typeof createFederationServing>;

/**
 * The state shown with an invite or knock: what identifies and describes the room, and whether
 * guests may join it (the invitee's server cannot know otherwise before joining).
 */
const STRIPPED_STATE_TYPES = [
  "m.room.create",
  "m.room.join_rules",
  "m.room.guest_access",
  "m.room.name",
  "m.room.avatar",
  "m.room.canonical_alias",
  "m.room.encryption",
  "m.room.topic",
];

/** Stripped state events (spec "Stripped state") from the room's current state. */
export function strippedState(current: StateMap, eventStore: EventStore, rules: RoomVersionRules): JsonObject[] {
  const out: JsonObject[] = [];
  for (const type of STRIPPED_STATE_TYPES) {
    const id = current.get(stateKeyOf(type, ""));
    const pdu: Pdu | null = id === undefined ? null : eventStore.getPdu(id);
    if (!pdu) continue;
    // since v12 (and harmless before): the full create event travels, so the invitee can check it.
    if (type === "m.room.create" && rules.roomIdIsCreateEventHash) out.push(wireForm(pdu, rules));
    else out.push({ type: pdu.type, state_key: pdu.state_key ?? "", sender: pdu.sender, content: pdu.content });
  }
  return out;
}
