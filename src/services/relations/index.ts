/**
 * Wires the relations area (spec "Event relationships", "Threading"): `/relations` and
 * `/threads` over the relations index the room persister keeps (`relation-index.ts`). The bundled
 * aggregations (`aggregations.ts`) are served by the rooms area's client events with every timeline.
 */
import type { Rooms } from "../rooms";
import type { SharedDeps } from "../shared-deps";
import { createRelations } from "./relations";
import { createThreads } from "./threads";

export type RelationsDeps = Pick<SharedDeps, "storage"> & { rooms: Rooms };

export function buildRelations(deps: RelationsDeps) {
  const { storage, rooms } = deps;
  const parts = { storage, visibility: rooms.visibility, clientEvents: rooms.clientEvents };
  return { relations: createRelations(parts), threads: createThreads(parts) };
}
export type RelationsArea = ReturnType<typeof buildRelations>;
