/**
 * Read access to stored events: rows straight from the database (their redaction status can
 * change) and parsed PDUs from a bounded in-memory cache (a PDU never changes once stored).
 */
import type { Pdu } from "../core/types";
import type { Storage } from "../storage";
import type { EventRow } from "../storage/events";

const PDU_CACHE_SIZE = 20_000;

export function createEventStore(storage: Storage) {
  const pdus = new Map<string, Pdu>();

  const pduOf = (row: EventRow): Pdu => {
    let pdu = pdus.get(row.event_id);
    if (!pdu) {
      pdu = JSON.parse(row.json) as Pdu;
      pdu.event_id = row.event_id;
      if (pdus.size >= PDU_CACHE_SIZE) pdus.delete(pdus.keys().next().value!);
      pdus.set(row.event_id, pdu);
    }
    return pdu;
  };

  return {
    getRow(eventId: string): EventRow | null {
      return storage.events.get(eventId);
    },

    /** The parsed PDU of a row, with `event_id` attached whatever the room version's format. */
    pduOf,

    getPdu(eventId: string): Pdu | null {
      const cached = pdus.get(eventId);
      if (cached) return cached;
      const row = storage.events.get(eventId);
      return row ? pduOf(row) : null;
    },

    /** Seeds the cache with a PDU just persisted, so the next event's auth check reads no JSON. */
    remember(pdu: Pdu & { event_id: string }): void {
      if (pdus.size >= PDU_CACHE_SIZE) pdus.delete(pdus.keys().next().value!);
      pdus.set(pdu.event_id, pdu);
    },

    /** Drops PDUs that a rolled-back transaction may have added. */
    invalidate(): void {
      pdus.clear();
    },
  };
}
export type EventStore = ReturnType<typeof createEventStore>;
