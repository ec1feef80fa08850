/**
 * Keeps the relations index true as events are persisted and redacted, inside the room's write
 * transaction: an event naming a parent is recorded (a thread reply also counts into its thread),
 * and a redaction removes the relation's effect (spec "Redactions" of relations: a redacted edit
 * no longer replaces, a redacted reply leaves its thread).
 */
import { THREAD, relationOf } from "../../core";
import type { Pdu } from "../../core/types";
import type { Storage } from "../../storage";

export function createRelationIndex(storage: Storage) {
  return {
    /** An event entered the room's graph as a timeline event at (depth, stream). */
    add(roomId: string, pdu: Pdu & { event_id: string }, stream: number): void {
      const relation = relationOf(pdu.content);
      if (!relation || relation.parentId === pdu.event_id) return;
      const row = {
        event_id: pdu.event_id,
        room_id: roomId,
        relates_to: relation.parentId,
        rel_type: relation.relType,
        type: pdu.type,
        sender: pdu.sender,
        depth: pdu.depth,
        stream_ordering: stream,
      };
      if (storage.relations.insert(row) && relation.relType === THREAD) storage.relations.addThreadReply(row);
    },

    /** `eventId` was redacted. */
    remove(eventId: string): void {
      const removed = storage.relations.remove(eventId);
      if (removed?.rel_type === THREAD) storage.relations.recountThread(removed.relates_to);
    },
  };
}
export type RelationIndex = ReturnType<typeof createRelationIndex>;
