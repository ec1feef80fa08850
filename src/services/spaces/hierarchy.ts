/**
 * The space tree (spec "GET /hierarchy", and its federation twin): depth first from a space this
 * server is in, children in the spec's order, rooms we are not in asked of their `via` servers,
 * only rooms the user may see, loops visited once. Pages are cut from the walk by offset; the
 * token carries `suggested_only` and `max_depth`, which must not change between pages.
 */
import type { JsonObject } from "../../core/types";
import { forbidden, invalidParam, notFound } from "../matrix-error";
import type { RemoteHierarchyClient } from "./remote-hierarchy";
import { childLinks, type ChildLink, type SpaceRooms } from "./space-rooms";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
const DEFAULT_MAX_DEPTH = 10;
const MAX_DEPTH = 20;
/** Rooms one walk visits at most: a very large tree is cut off rather than walked to its end. */
const MAX_ROOMS = 1000;

export interface HierarchyQuery {
  suggestedOnly: boolean;
  limit?: number;
  maxDepth?: number;
  from?: string;
}

interface Page {
  offset: number;
  suggestedOnly: boolean;
  maxDepth: number;
}

const tokenOf = (p: Page) => `${p.offset}_${p.suggestedOnly ? 1 : 0}_${p.maxDepth}`;

function pageOf(from: string): Page {
  const m = /^(\d+)_([01])_(\d+)$/.exec(from);
  if (!m) throw invalidParam("Unknown pagination token");
  return { offset: Number(m[1]), suggestedOnly: m[2] === "1", maxDepth: Number(m[3]) };
}

/** A child chunk without the state of its own children (the federation answer's `children`). */
function withoutChildrenState(chunk: JsonObject): JsonObject {
  const { children_state: _, ...rest } = chunk;
  return rest;
}

export function createHierarchy(deps: {
  rooms: SpaceRooms;
  remote: RemoteHierarchyClient;
  /** Whether the room's server ACL lets the server in. */
  serverAllowed(roomId: string, server: string): boolean;
}) {
  const { rooms, remote } = deps;

  /** One room of the walk: described here when we are in it, else by a `via` server. */
  interface Walk {
    userId: string;
    suggestedOnly: boolean;
    /** Children summaries from remote answers: a room that is not a space needs no request of its own. */
    known: Map<string, JsonObject>;
    inaccessible: Set<string>;
  }

  async function visit(walk: Walk, roomId: string, via: readonly string[]): Promise<{ chunk: JsonObject; children: ChildLink[] } | null> {
    if (rooms.participates(roomId)) {
      const local = rooms.describe(roomId);
      return local && rooms.visibleTo(walk.userId, local.chunk) ? local : null;
    }
    const summary = walk.known.get(roomId);
    if (summary && summary.room_type !== "m.space") {
      return rooms.visibleTo(walk.userId, summary) ? { chunk: { ...summary, children_state: [] }, children: [] } : null;
    }
    const answer = await remote.fetch(roomId, via, walk.suggestedOnly);
    if (!answer) return null;
    for (const child of answer.children) if (!walk.known.has(child.room_id as string)) walk.known.set(child.room_id as string, child);
    for (const id of answer.inaccessible) walk.inaccessible.add(id);
    if (!rooms.visibleTo(walk.userId, answer.room)) return null;
    return { chunk: answer.room, children: childLinks(answer.room.children_state as unknown[]) };
  }

  /** Every room of the tree the user may see, in depth-first order (up to MAX_ROOMS). */
  async function walkTree(userId: string, rootId: string, suggestedOnly: boolean, maxDepth: number): Promise<JsonObject[]> {
    const walk: Walk = { userId, suggestedOnly, known: new Map(), inaccessible: new Set() };
    const out: JsonObject[] = [];
    const seen = new Set<string>();
    const stack: { roomId: string; depth: number; via: readonly string[] }[] = [{ roomId: rootId, depth: 0, via: [] }];
    while (stack.length > 0 && seen.size < MAX_ROOMS) {
      const { roomId, depth, via } = stack.pop()!;
      // A room another server called inaccessible may still be one we are in ourselves.
      if (seen.has(roomId) || (walk.inaccessible.has(roomId) && !rooms.participates(roomId))) continue;
      seen.add(roomId);
      const room = await visit(walk, roomId, via);
      if (!room) continue;
      out.push(room.chunk);
      if (depth >= maxDepth) continue;
      const next = room.children.filter((c) => !seen.has(c.roomId) && (!suggestedOnly || c.suggested));
      // Reversed onto the stack, so the first child is walked first.
      for (let i = next.length - 1; i >= 0; i--) stack.push({ roomId: next[i]!.roomId, depth: depth + 1, via: next[i]!.via });
    }
    return out;
  }

  return {
    /** GET /rooms/{roomId}/hierarchy: one page of the tree below a space the user may see. */
    async forUser(userId: string, roomId: string, q: HierarchyQuery): Promise<{ rooms: JsonObject[]; next_batch?: string }> {
      if (q.limit !== undefined && (!Number.isSafeInteger(q.limit) || q.limit < 1)) throw invalidParam("limit must be a positive integer");
      if (q.maxDepth !== undefined && (!Number.isSafeInteger(q.maxDepth) || q.maxDepth < 0)) throw invalidParam("max_depth must be a non-negative integer");
      const maxDepth = Math.min(q.maxDepth ?? DEFAULT_MAX_DEPTH, MAX_DEPTH);
      const page = q.from === undefined ? { offset: 0, suggestedOnly: q.suggestedOnly, maxDepth } : pageOf(q.from);
      if (page.suggestedOnly !== q.suggestedOnly || page.maxDepth !== maxDepth) {
        throw invalidParam("suggested_only and max_depth cannot change on paginated requests");
      }
      // The space itself must be one we are in and the user may see (403 otherwise, as the spec says).
      const root = rooms.participates(roomId) ? rooms.describe(roomId) : null;
      if (!root || !rooms.visibleTo(userId, root.chunk)) throw forbidden(`You may not view the hierarchy of ${roomId}`);
      const all = await walkTree(userId, roomId, page.suggestedOnly, page.maxDepth);
      const limit = Math.min(q.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
      const end = page.offset + limit;
      const next = end < all.length ? { next_batch: tokenOf({ ...page, offset: end }) } : {};
      return { rooms: all.slice(page.offset, end), ...next };
    },

    /**
     * GET /_matrix/federation/v1/hierarchy/{roomId} for `origin`: the room and its children we
     * can describe; children its users may not see are named in `inaccessible_children`.
     */
    forServer(origin: string, roomId: string, suggestedOnly: boolean): JsonObject {
      const room = rooms.participates(roomId) ? rooms.describe(roomId) : null;
      if (!room || !rooms.visibleToServer(origin, room.chunk)) throw notFound(`Room ${roomId} is not known here or not open to ${origin}`);
      if (!deps.serverAllowed(roomId, origin)) throw forbidden(`${origin} is barred by the room's server ACL`);
      const children: JsonObject[] = [];
      const inaccessible: string[] = [];
      for (const link of room.children) {
        if (suggestedOnly && !link.suggested) continue;
        const child = rooms.participates(link.roomId) ? rooms.describe(link.roomId) : null;
        if (!child) continue;
        if (rooms.visibleToServer(origin, child.chunk) && deps.serverAllowed(link.roomId, origin)) children.push(withoutChildrenState(child.chunk));
        else inaccessible.push(link.roomId);
      }
      return { room: room.chunk, children, inaccessible_children: inaccessible };
    },
  };
}
export type Hierarchy = ReturnType<typeof createHierarchy>;
