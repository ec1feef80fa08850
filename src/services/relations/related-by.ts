/**
 * What the RoomEventFilter's `related_by_rel_types` and `related_by_senders` (spec v1.4) look at:
 * the relations pointing at each event of a batch, read in one query.
 */
import type { Storage } from "../../storage";
import type { EventRow } from "../../storage/events";

export type PointingRelations = Map<string, { relType: string; sender: string }[]>;

export function relationsPointingAt(storage: Storage, rows: readonly EventRow[]): PointingRelations {
  const out: PointingRelations = new Map();
  if (rows.length === 0) return out;
  for (const r of storage.relations.relationsOf(rows.map((row) => row.event_id))) {
    const relation = { relType: r.rel_type, sender: r.sender };
    const list = out.get(r.relates_to);
    if (list) list.push(relation);
    else out.set(r.relates_to, [relation]);
  }
  return out;
}
