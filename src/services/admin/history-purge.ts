/**
 * Purging a room's history before a point (Synapse's `purge_history` admin API): the message
 * events older than an event or a time go from the database, other servers' only unless
 * `delete_local_events`; state stays. It runs on the room's queue in the background, with a status
 * per purge id kept in memory.
 */
import { randomUUID } from "node:crypto";
import { errorMessage } from "../../core";
import type { Clock } from "../../runtime/clock";
import type { Logger } from "../../runtime/logger";
import type { Storage } from "../../storage";
import { invalidParam, missingParam, notFound } from "../matrix-error";
import type { Rooms } from "../rooms";

export interface PurgePoint {
  /** Events before this one go. */
  eventId?: string;
  /** Events older than this (ms since the epoch) go. */
  ts?: number;
  deleteLocalEvents: boolean;
}

interface PurgeStatus {
  status: "active" | "complete" | "failed";
  error?: string;
  finishedMs?: number;
}

const STATUS_TTL_MS = 24 * 60 * 60_000;

export function createHistoryPurge(deps: { storage: Storage; clock: Clock; log: Logger; serverName: string; rooms: Rooms }) {
  const { storage, clock, log } = deps;
  const statuses = new Map<string, PurgeStatus>();

  function forgetOld(): void {
    const now = clock.now();
    for (const [id, s] of statuses) if (s.finishedMs !== undefined && now - s.finishedMs > STATUS_TTL_MS) statuses.delete(id);
  }

  /** The stream position before which events go. */
  function beforeStream(roomId: string, point: PurgePoint): number {
    if (point.eventId !== undefined) {
      const row = storage.events.get(point.eventId);
      if (!row || row.room_id !== roomId) throw notFound(`Event ${point.eventId} is not in room ${roomId}`);
      return row.stream_ordering;
    }
    if (point.ts !== undefined) return storage.roomPurge.streamAtTime(roomId, point.ts);
    throw missingParam("Give purge_up_to_event_id or purge_up_to_ts");
  }

  return {
    /** Starts the purge; returns its id at once and the promise of its end. */
    start(roomId: string, point: PurgePoint): { purge_id: string; done: Promise<void> } {
      if (!storage.rooms.get(roomId)) throw notFound(`Room ${roomId} is not known to this server`);
      if (point.ts !== undefined && (!Number.isSafeInteger(point.ts) || point.ts < 0)) throw invalidParam("purge_up_to_ts must be a timestamp in milliseconds");
      const before = beforeStream(roomId, point);
      forgetOld();
      const purgeId = randomUUID();
      const status: PurgeStatus = { status: "active" };
      statuses.set(purgeId, status);
      const done = deps.rooms.queue
        .run(roomId, () => storage.roomPurge.purgeHistory(roomId, before, point.deleteLocalEvents, deps.serverName))
        .then(
          (events) => {
            // Purged events may be cached.
            deps.rooms.eventStore.invalidate();
            status.status = "complete";
            status.finishedMs = clock.now();
            log.info("admin history purge: complete", { purge_id: purgeId, room_id: roomId, events });
          },
          (e: unknown) => {
            status.status = "failed";
            status.error = errorMessage(e);
            status.finishedMs = clock.now();
            log.warn("admin history purge: failed", { purge_id: purgeId, room_id: roomId, error: status.error });
          },
        );
      return { purge_id: purgeId, done };
    },

    /** `GET /_synapse/admin/v1/purge_history_status/{purgeId}` */
    status(purgeId: string): { status: string; error?: string } {
      const s = statuses.get(purgeId);
      if (!s) throw notFound(`No purge ${purgeId} is known`);
      return { status: s.status, ...(s.error === undefined ? {} : { error: s.error }) };
    },
  };
}
export type HistoryPurge = ReturnType<typeof createHistoryPurge>;
