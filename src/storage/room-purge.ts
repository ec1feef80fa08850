/**
 * Purges, each in one transaction. `purgeRoom` removes everything this server holds of one room:
 * its events and what is keyed by them, state groups, current state, memberships, aliases,
 * receipts, per-room account data, push records, delayed events, relations, threads, the search
 * index, the user directory's public rooms and the appservices' room lists (reports of the room stay: they are the admins'
 * record; a table added for a room-scoped feature must be listed here too).
 * `purgeHistory` removes a room's message events before a point: state events stay (state groups
 * and auth chains refer to them), so do the room's newest events (new events build on them), and
 * so do this server's own events unless asked.
 */
import type { Database } from "bun:sqlite";

const PURGE_ROOM: readonly string[] = [
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
  "DELETE FROM event_relations WHERE room_id = ?1",
  "DELETE FROM threads WHERE room_id = ?1",
  "DELETE FROM event_search WHERE rowid IN (SELECT stream_ordering FROM events WHERE room_id = ?1)",
  "DELETE FROM event_search_rooms WHERE stream IN (SELECT stream_ordering FROM events WHERE room_id = ?1)",
  "DELETE FROM user_directory_public_rooms WHERE room_id = ?1",
  "DELETE FROM appservice_room_lists WHERE room_id = ?1",
  "DELETE FROM events WHERE room_id = ?1",
  "DELETE FROM rooms WHERE room_id = ?1",
];

// ?1 room, ?2 events before this stream position, ?3 1 to purge local events too, ?4 our server name.
const HISTORY_VICTIMS = `
  SELECT event_id FROM events
  WHERE room_id = ?1 AND stream_ordering < ?2 AND state_key IS NULL
    AND (?3 = 1 OR substr(sender, instr(sender, ':') + 1) <> ?4)
    AND event_id NOT IN (SELECT event_id FROM forward_extremities WHERE room_id = ?1)`;
const PURGE_HISTORY: readonly string[] = [
  `DELETE FROM txn_ids WHERE event_id IN (${HISTORY_VICTIMS})`,
  `DELETE FROM redactions WHERE event_id IN (${HISTORY_VICTIMS})`,
  `DELETE FROM push_events WHERE event_id IN (${HISTORY_VICTIMS})`,
  `DELETE FROM event_relations WHERE event_id IN (${HISTORY_VICTIMS})`,
  `DELETE FROM threads WHERE root_id IN (${HISTORY_VICTIMS})`,
  `DELETE FROM event_search WHERE rowid IN (SELECT stream_ordering FROM events WHERE event_id IN (${HISTORY_VICTIMS}))`,
  `DELETE FROM event_search_rooms WHERE stream IN (SELECT stream_ordering FROM events WHERE event_id IN (${HISTORY_VICTIMS}))`,
  `DELETE FROM events WHERE event_id IN (${HISTORY_VICTIMS})`,
];

export function createRoomPurgeRepo(db: Database) {
  return {
    /** Deletes the room's message events before `beforeStream`; returns how many went. */
    purgeHistory(roomId: string, beforeStream: number, deleteLocal: boolean, serverName: string): number {
      return db.transaction(() => {
        let deleted = 0;
        for (const sql of PURGE_HISTORY) deleted = db.query(sql).run(roomId, beforeStream, deleteLocal ? 1 : 0, serverName).changes;
        return deleted;
      })();
    },

    /** The stream position of the room's first event at or after `ts` (its end when none is). */
    streamAtTime(roomId: string, ts: number): number {
      const row = db.query<{ s: number | null }, [string, number]>("SELECT min(stream_ordering) AS s FROM events WHERE room_id = ? AND origin_server_ts >= ?").get(roomId, ts);
      return row?.s ?? Number.MAX_SAFE_INTEGER;
    },

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
