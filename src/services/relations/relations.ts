/**
 * `GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]` (spec "Relationships
 * API", v1.10 `recurse` from MSC3981): the events relating to a parent, a page at a time in the
 * room's topological order, with the same tokens as `/messages`. The parent and every child pass
 * the history visibility check; children from users the reader ignores are left out.
 */
import type { JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { Requester } from "../accounts/access-tokens";
import { isIgnored } from "../accounts/ignored-users";
import { notFound } from "../matrix-error";
import type { ClientEvents } from "../rooms/client-events";
import { END, START, formatToken, parseToken, positionAfter, positionBefore } from "../rooms/pagination";
import type { Visibility } from "../rooms/visibility";

/** How far `recurse` follows relations of relations (MSC3981 leaves it to the server). */
export const RECURSION_DEPTH = 3;
const DEFAULT_LIMIT = 5;
const MAX_LIMIT = 1_000;

export interface RelationsQuery {
  relType?: string;
  eventType?: string;
  dir: "b" | "f";
  from?: string;
  to?: string;
  limit?: number;
  recurse?: boolean;
}

export function createRelations(deps: { storage: Storage; visibility: Visibility; clientEvents: ClientEvents }) {
  const { storage, visibility, clientEvents } = deps;

  return {
    /** GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] */
    relations(requester: Requester, roomId: string, eventId: string, q: RelationsQuery): JsonObject {
      visibility.readableState(requester.userId, roomId);
      const parent = storage.events.get(eventId);
      const inTimeline = parent && parent.room_id === roomId && !parent.outlier && parent.rejected_reason === null && !parent.soft_failed;
      if (!inTimeline || !visibility.canSee(requester.userId, parent)) throw notFound("Event not found");
      const limit = Math.min(Math.max(q.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
      const from = q.from !== undefined ? parseToken(storage, roomId, q.from) : q.dir === "b" ? END : START;
      const to = q.to !== undefined ? parseToken(storage, roomId, q.to) : q.dir === "b" ? START : END;
      const depth = q.recurse ? RECURSION_DEPTH : 1;
      // An event type narrows within a relation type only (the spec's path has no other form).
      const eventType = q.relType !== undefined ? q.eventType : undefined;
      const rows = storage.relations.children({ parentId: eventId, roomId, relType: q.relType, eventType, dir: q.dir, from, to, limit, depth });
      const ignored = storage.ignoredUsers.ignoredBy(requester.userId);
      const shown = visibility.filterVisible(requester.userId, rows).filter((row) => !isIgnored(row, ignored));
      const out: JsonObject = { chunk: clientEvents.formatTimeline(shown, requester) };
      const last = rows.at(-1);
      if (rows.length === limit && last) out.next_batch = formatToken(q.dir === "b" ? positionBefore(last) : positionAfter(last));
      if (q.from !== undefined) out.prev_batch = q.from;
      if (q.recurse !== undefined) out.recursion_depth = depth;
      return out;
    },
  };
}
export type Relations = ReturnType<typeof createRelations>;
