/**
 * Room state: state groups (immutable state maps stored as deltas over a previous group, with a
 * full snapshot every so often so no read walks a long chain) and each room's current state.
 */
import type { Database } from "bun:sqlite";

export interface StateEntry {
  type: string;
  state_key: string;
  /** NULL in a delta: the key is removed. */
  event_id: string | null;
}

export interface StateGroupRow {
  id: number;
  room_id: string;
  prev_group: number | null;
  chain_length: number;
}

const INSERT_GROUP = "INSERT INTO state_groups (room_id, prev_group, chain_length) VALUES (?, ?, ?)";
const INSERT_ENTRY = "INSERT INTO state_group_entries (group_id, type, state_key, event_id) VALUES (?, ?, ?, ?)";
const SELECT_GROUP = "SELECT * FROM state_groups WHERE id = ?";
const SELECT_ENTRIES = "SELECT type, state_key, event_id FROM state_group_entries WHERE group_id = ?";
const SELECT_CHAIN = `
  WITH RECURSIVE chain(id, prev_group, n) AS (
    SELECT id, prev_group, 0 FROM state_groups WHERE id = ?
    UNION ALL
    SELECT g.id, g.prev_group, chain.n + 1 FROM state_groups g JOIN chain ON g.id = chain.prev_group
  )
  SELECT id FROM chain ORDER BY n DESC`;
const SELECT_CURRENT = "SELECT type, state_key, event_id FROM current_state WHERE room_id = ?";
const SELECT_CURRENT_ONE = "SELECT event_id FROM current_state WHERE room_id = ? AND type = ? AND state_key = ?";
const UPSERT_CURRENT = `
  INSERT INTO current_state (room_id, type, state_key, event_id) VALUES (?, ?, ?, ?)
  ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id`;
const DELETE_CURRENT = "DELETE FROM current_state WHERE room_id = ? AND type = ? AND state_key = ?";

export function createStateRepo(db: Database) {
  const insertEntry = db.query(INSERT_ENTRY);
  const entries = db.query<StateEntry, [number]>(SELECT_ENTRIES);

  return {
    /** Stores a group as `entries` over `prevGroup` (or a snapshot when `prevGroup` is null). */
    insertGroup(roomId: string, prevGroup: number | null, chainLength: number, delta: readonly StateEntry[]): number {
      const id = Number(db.query(INSERT_GROUP).run(roomId, prevGroup, chainLength).lastInsertRowid);
      for (const e of delta) insertEntry.run(id, e.type, e.state_key, e.event_id);
      return id;
    },

    getGroup(id: number): StateGroupRow | null {
      return db.query<StateGroupRow, [number]>(SELECT_GROUP).get(id);
    },

    /** The group's own entries (its delta, or its snapshot). */
    groupEntries(id: number): StateEntry[] {
      return entries.all(id);
    },

    /** The ids from the chain's snapshot down to `id`, oldest first. */
    groupChain(id: number): number[] {
      return db.query<{ id: number }, [number]>(SELECT_CHAIN).all(id).map((r) => r.id);
    },

    currentState(roomId: string): StateEntry[] {
      return db.query<StateEntry, [string]>(SELECT_CURRENT).all(roomId);
    },

    currentStateEvent(roomId: string, type: string, stateKey: string): string | null {
      return db.query<{ event_id: string }, [string, string, string]>(SELECT_CURRENT_ONE).get(roomId, type, stateKey)?.event_id ?? null;
    },

    /** Applies a delta to the current state (NULL event ids remove keys). */
    updateCurrentState(roomId: string, delta: readonly StateEntry[]): void {
      const upsert = db.query(UPSERT_CURRENT);
      const del = db.query(DELETE_CURRENT);
      for (const e of delta) {
        if (e.event_id === null) del.run(roomId, e.type, e.state_key);
        else upsert.run(roomId, e.type, e.state_key, e.event_id);
      }
    },
  };
}
export type StateRepo = ReturnType<typeof createStateRepo>;
