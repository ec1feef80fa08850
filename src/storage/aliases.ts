/** Room aliases on this server (`#name:server` -> room id), with who created each. */
import type { Database } from "bun:sqlite";

export interface AliasRow {
  alias: string;
  room_id: string;
  creator: string;
  created_ts: number;
}

const INSERT = "INSERT OR IGNORE INTO room_aliases (alias, room_id, creator, created_ts) VALUES (?, ?, ?, ?)";
const SELECT = "SELECT * FROM room_aliases WHERE alias = ?";
const SELECT_FOR_ROOM = "SELECT alias FROM room_aliases WHERE room_id = ? ORDER BY created_ts, alias";
const DELETE = "DELETE FROM room_aliases WHERE alias = ?";
const MOVE = "UPDATE room_aliases SET room_id = ? WHERE room_id = ?";

export function createAliasesRepo(db: Database) {
  return {
    /** Returns false when the alias is already taken. */
    insert(alias: string, roomId: string, creator: string, createdTs: number): boolean {
      return db.query(INSERT).run(alias, roomId, creator, createdTs).changes === 1;
    },
    get(alias: string): AliasRow | null {
      return db.query<AliasRow, [string]>(SELECT).get(alias);
    },
    forRoom(roomId: string): string[] {
      return db.query<{ alias: string }, [string]>(SELECT_FOR_ROOM).all(roomId).map((r) => r.alias);
    },
    delete(alias: string): boolean {
      return db.query(DELETE).run(alias).changes === 1;
    },
    /** Points every alias of `fromRoom` at `toRoom` (room upgrades). */
    moveAll(fromRoom: string, toRoom: string): void {
      db.query(MOVE).run(toRoom, fromRoom);
    },
  };
}
export type AliasesRepo = ReturnType<typeof createAliasesRepo>;
