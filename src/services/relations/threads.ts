/**
 * `GET /rooms/{roomId}/threads` (spec "Threading", v1.4): the room's thread roots, most recent
 * activity first, each with its `m.thread` aggregation; `include=participated` keeps the threads
 * the user started or replied in. Roots the user may not see are skipped.
 */
import type { JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventRow } from "../../storage/events";
import type { Requester } from "../accounts/access-tokens";
import { invalidParam } from "../matrix-error";
import type { ClientEvents } from "../rooms/client-events";
import type { Visibility } from "../rooms/visibility";

const DEFAULT_LIMIT = 5;
const MAX_LIMIT = 1_000;
/** Roots read per query while visibility skips some; the scan stops after SCAN_LIMIT rows. */
const SCAN_BATCH = 100;
const SCAN_LIMIT = 5_000;

export interface ThreadsQuery {
  include?: "all" | "participated";
  from?: string;
  limit?: number;
}

/** A threads token is the activity position to continue below. */
const formatThreadsToken = (position: number) => `th${position}`;

function parseThreadsToken(token: string): number {
  const m = /^th(-?\d{1,16})$/.exec(token);
  if (!m) throw invalidParam(`Unknown pagination token ${JSON.stringify(token)}`);
  return Number(m[1]);
}

export function createThreads(deps: { storage: Storage; visibility: Visibility; clientEvents: ClientEvents }) {
  const { storage, visibility, clientEvents } = deps;

  return {
    /** GET /_matrix/client/v1/rooms/{roomId}/threads */
    threads(requester: Requester, roomId: string, q: ThreadsQuery): JsonObject {
      visibility.readableState(requester.userId, roomId);
      const limit = Math.min(Math.max(q.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
      const participant = q.include === "participated" ? requester.userId : undefined;
      let before = q.from !== undefined ? parseThreadsToken(q.from) : Number.MAX_SAFE_INTEGER;
      const kept: EventRow[] = [];
      let more = false;
      for (let scanned = 0; ; ) {
        // One root past what is missing tells whether another page follows.
        const want = Math.min(SCAN_BATCH, limit - kept.length + 1);
        const rows = storage.relations.threadRoots(roomId, before, want, participant);
        scanned += rows.length;
        const visible = new Set(visibility.filterVisible(requester.userId, rows));
        for (const row of rows) {
          if (kept.length === limit) {
            more = true;
            break;
          }
          before = row.thread_position;
          if (visible.has(row)) kept.push(row);
        }
        if (more || rows.length < want) break;
        if (kept.length === limit || scanned >= SCAN_LIMIT) {
          more = true;
          break;
        }
      }
      const out: JsonObject = { chunk: clientEvents.formatTimeline(kept, requester) };
      if (more) out.next_batch = formatThreadsToken(before);
      return out;
    },
  };
}
export type Threads = ReturnType<typeof createThreads>;
