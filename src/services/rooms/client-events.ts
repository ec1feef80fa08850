/**
 * Turns stored PDUs into the client event format: `event_id`, `type`, `content`, `sender`,
 * `origin_server_ts`, `room_id`, `state_key`, and `unsigned` with `age`, the sender device's own
 * `transaction_id`, the sender's own delay id (MSC4140), `prev_content`/`prev_sender`/
 * `replaces_state` for state events, and `redacted_because` for redacted events (served with the
 * room version's redaction applied; the stored original stays intact for auth and federation).
 * Timeline events also carry their bundled aggregations (`unsigned["m.relations"]`,
 * `formatTimeline`).
 */
import { redact } from "../../core";
import { rulesFor, type RoomVersionRules } from "../../core/room-versions";
import type { JsonObject, Pdu } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventRow } from "../../storage/events";
import type { EventStore } from "./event-store";
import { createLruMap } from "../../runtime/lru-map";
import { createAggregations } from "../relations/aggregations";

/** Rooms whose version rules are remembered (a point query finds any other). */
const RULES_CACHE_SIZE = 1000;

/** Who is reading: the requesting device sees its own transaction ids. */
export interface Viewer {
  userId: string;
  deviceId?: string;
}

export interface FormatOptions {
  /** /sync omits `room_id` inside a room's section. */
  omitRoomId?: boolean;
}

export function createClientEvents(deps: { storage: Storage; eventStore: EventStore; now(): number }) {
  const { storage, eventStore } = deps;
  const rulesByRoom = createLruMap<string, RoomVersionRules>({ maxEntries: RULES_CACHE_SIZE });

  const rulesOf = (roomId: string): RoomVersionRules => {
    let rules = rulesByRoom.get(roomId);
    if (!rules) {
      rules = rulesFor(storage.rooms.get(roomId)?.room_version ?? "1");
      rulesByRoom.set(roomId, rules);
    }
    return rules;
  };

  /** The content a client sees: the redacted form once a redaction applies. */
  const visiblePdu = (row: EventRow): Pdu => {
    const pdu = eventStore.pduOf(row);
    return row.redacted_by === null ? pdu : redact(pdu, rulesOf(row.room_id));
  };

  function format(row: EventRow, viewer: Viewer | undefined, opts: FormatOptions = {}, nested = false): JsonObject {
    const pdu = visiblePdu(row);
    const event: JsonObject = {
      event_id: row.event_id,
      type: row.type,
      content: pdu.content,
      sender: row.sender,
      origin_server_ts: row.origin_server_ts,
    };
    if (!opts.omitRoomId) event.room_id = row.room_id;
    if (row.state_key !== null) event.state_key = row.state_key;
    // Before v11 a redaction names its target at the top level; clients read it there.
    if (typeof pdu.redacts === "string") event.redacts = pdu.redacts;
    else if (row.type === "m.room.redaction" && typeof pdu.content.redacts === "string") event.redacts = pdu.content.redacts;

    const unsigned: JsonObject = { age: Math.max(0, deps.now() - row.origin_server_ts) };
    if (row.txn_id !== null && viewer?.userId === row.sender && viewer.deviceId === row.txn_device_id) {
      unsigned.transaction_id = row.txn_id;
    }
    if (row.delay_id !== null && viewer?.userId === row.sender) unsigned["org.matrix.msc4140.delay_id"] = row.delay_id;
    if (row.replaces_state !== null) {
      unsigned.replaces_state = row.replaces_state;
      const prev = storage.events.get(row.replaces_state);
      if (prev) {
        unsigned.prev_content = visiblePdu(prev).content;
        unsigned.prev_sender = prev.sender;
      }
    }
    if (row.redacted_by !== null && !nested) {
      // `redacted_by` beside the spec's `redacted_because`: Synapse serves both and clients read either.
      unsigned.redacted_by = row.redacted_by;
      const because = storage.events.get(row.redacted_by);
      if (because) unsigned.redacted_because = format(because, viewer, {}, true);
    }
    event.unsigned = unsigned;
    return event;
  }

  const aggregations = createAggregations({ storage, contentOf: (row) => visiblePdu(row).content });

  /** Events as a page of timeline: each with its bundled aggregations, computed for the page at once. */
  function formatTimeline(rows: readonly EventRow[], viewer: Viewer | undefined, opts: FormatOptions = {}): JsonObject[] {
    const withRelations = (row: EventRow, relations: JsonObject | undefined): JsonObject => {
      const event = format(row, viewer, opts);
      if (relations) (event.unsigned as JsonObject)["m.relations"] = relations;
      return event;
    };
    const bundled = aggregations.bundle(rows, viewer?.userId, withRelations);
    return rows.map((row) => withRelations(row, bundled.get(row.event_id)));
  }

  return {
    /** One event in the client format. */
    format(row: EventRow, viewer?: Viewer, opts?: FormatOptions): JsonObject {
      return format(row, viewer, opts);
    },
    formatAll(rows: readonly EventRow[], viewer?: Viewer, opts?: FormatOptions): JsonObject[] {
      return rows.map((row) => format(row, viewer, opts));
    },
    formatTimeline,
    /** The content clients see (redacted when a redaction applies). */
    visiblePdu,
    rulesOf,
  };
}
export type ClientEvents = ReturnType<typeof createClientEvents>;
