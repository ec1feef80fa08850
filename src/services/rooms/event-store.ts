/**
 * Read access to stored events: rows straight from the database (their redaction status can
 * change) and parsed PDUs from a bounded in-memory cache (a PDU never changes once stored), bounded
 * both in events and in the memory they take (estimated from their JSON), so that large events
 * cannot fill memory.
 */
import type { Pdu } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventRow } from "../../storage/events";
import { createLruMap } from "../../runtime/lru-map";

const PDU_CACHE_SIZE = 20_000;
/** A parsed PDU takes about 1.3 times its JSON in memory, plus the cache's own entry. */
const weighPdu = (jsonBytes: number) => Math.ceil(jsonBytes * 1.3) + 150;

interface Cached {
  pdu: Pdu;
  bytes: number;
}

/** `maxBytes`: the memory the cached PDUs may take (`pdu_cache_capacity_mb`). */
export function createEventStore(storage: Storage, maxBytes: number) {
  const pdus = createLruMap<string, Cached>({ maxEntries: PDU_CACHE_SIZE, maxWeight: maxBytes, weigh: (c) => weighPdu(c.bytes) });

  const pduOf = (row: EventRow): Pdu => {
    const cached = pdus.get(row.event_id);
    if (cached) return cached.pdu;
    const pdu = JSON.parse(row.json) as Pdu;
    pdu.event_id = row.event_id;
    pdus.set(row.event_id, { pdu, bytes: row.json.length });
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
      if (cached) return cached.pdu;
      const row = storage.events.get(eventId);
      return row ? pduOf(row) : null;
    },

    /**
     * Seeds the cache with a PDU just persisted (`bytes`: the length of its JSON), so the next
     * event's auth check reads no JSON.
     */
    remember(pdu: Pdu & { event_id: string }, bytes: number): void {
      pdus.set(pdu.event_id, { pdu, bytes });
    },

    /** Drops PDUs that a rolled-back transaction may have added. */
    invalidate(): void {
      pdus.clear();
    },
  };
}
export type EventStore = ReturnType<typeof createEventStore>;
