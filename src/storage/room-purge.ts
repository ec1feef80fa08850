/**
 * Removes everything this server holds of one room, in one transaction: its events and what is
 * keyed by them, state groups, current state, memberships, aliases, receipts, per-room account
 * data, push records and delayed events. Reports of the room stay: they are the admins' record.
 * A table added for a room-scoped feature must be listed here too.
 */
import type { Database } from "bun:sqlite";

const PURGE_ROOM: readonly string[] = [
  "DELETE FROM event_edges WHERE event_id IN (SELECT event_id FROM events WHERE room_id = ?1)",
  "DELETE FROM txn_ids WHERE event_id IN (SELECT event_id FROM events WHERE room_id = ?1)",
  "DELETE FROM redactions WHERE room_id = ?1",
  "DELETE FROM state_group_entries WHERE group_id IN (SELECT id FROM state_groups WHERE room_id = ?1)",
  "DELETE FROM state_groups WHERE room_id = ?1",
  "DELETE FROM current_state WHERE room_id = ?1",
  "DELETE FROM forward_extremities WHERE room_id = ?1",
  "DELETE FROM room_memberships WHERE room_id = ?1",
  "DELETE FROM room_aliases WHERE room_id = ?1",
  "DELETE FROM receipts WHERE room_id = ?1",
  "DELETE FROM account_data WHERE room_id = ?1",
  "DELETE FROM push_events WHERE room_id = ?1",
  "DELETE FROM push_counts WHERE room_id = ?1",
  "DELETE FROM delayed_events WHERE room_id = ?1",
  "DELETE FROM events WHERE room_id = ?1",
  "DELETE FROM rooms WHERE room_id = ?1",
];

export function createRoomPurgeRepo(db: Database) {
  return {
    /** Deletes the room's data; returns how many events went. */
    purgeRoom(roomId: string): number {
      return db.transaction(() => {
        const events = db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM events WHERE room_id = ?").get(roomId)!.n;
        for (const sql of PURGE_ROOM) db.query(sql).run(roomId);
        return events;
      })();
    },
  };
}
export type RoomPurgeRepo = ReturnType<typeof createRoomPurgeRepo>;
