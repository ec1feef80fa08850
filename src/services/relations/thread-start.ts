/**
 * Spec "Validation of m.thread relationships": a thread cannot start off an event that itself has
 * an `m.relates_to` (a reply in a thread, an edit, a reaction). Local sends that try get 400
 * M_UNKNOWN, the code the spec names for want of a specific one.
 */
import { THREAD, relationOf } from "../../core";
import type { JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventStore } from "../rooms/event-store";
import { MatrixError } from "../matrix-error";

export function checkThreadStart(storage: Storage, eventStore: EventStore, roomId: string, content: JsonObject): void {
  const relation = relationOf(content);
  if (relation?.relType !== THREAD) return;
  const root = storage.events.get(relation.parentId);
  if (!root || root.room_id !== roomId) return;
  if (eventStore.pduOf(root).content["m.relates_to"] !== undefined) {
    throw new MatrixError(400, "M_UNKNOWN", `Cannot start a thread from ${relation.parentId}: it relates to another event`);
  }
}
