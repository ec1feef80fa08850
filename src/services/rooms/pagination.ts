/**
 * Room pagination tokens. A token names a point between two events of a room's topological order
 * (depth, stream_ordering): `t<depth>_<stream>` is "just after the event at (depth, stream)".
 * `/messages` also accepts /sync tokens (`s…`), read as "after every event persisted up to that
 * stream position".
 */
import { parseSyncToken, roomEventsPosition } from "../../core/sync-token";
import type { Storage } from "../../storage";
import type { EventRow, TopologicalPosition } from "../../storage/events";
import { invalidParam } from "../matrix-error";

/** Before every event / after every event. */
export const START: TopologicalPosition = { depth: -1, stream: -1 };
export const END: TopologicalPosition = { depth: Number.MAX_SAFE_INTEGER, stream: Number.MAX_SAFE_INTEGER };

export function formatToken(p: TopologicalPosition): string {
  return `t${p.depth}_${p.stream}`;
}

/** The point just before `row` (integer stream orders leave no event in between). */
export function positionBefore(row: EventRow): TopologicalPosition {
  return { depth: row.depth, stream: row.stream_ordering - 1 };
}

export function positionAfter(row: EventRow): TopologicalPosition {
  return { depth: row.depth, stream: row.stream_ordering };
}

/** Reads a pagination or sync token as a point in `roomId`'s topological order. */
export function parseToken(storage: Storage, roomId: string, token: string): TopologicalPosition {
  const t = /^t(-?\d{1,16})_(-?\d{1,16})$/.exec(token);
  if (t) return { depth: Number(t[1]), stream: Number(t[2]) };
  const sync = parseSyncToken(token);
  if (sync) return storage.events.lastPositionAtStream(roomId, roomEventsPosition(sync)) ?? START;
  throw invalidParam(`Unknown pagination token ${JSON.stringify(token)}`);
}
