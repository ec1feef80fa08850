/**
 * Account data: per-user JSON objects keyed by type, global (room_id '') or for one room. Each
 * write takes the next account-data stream position so `/sync` returns what changed since a token.
 */
import type { Database } from "bun:sqlite";
import type { StreamPositions } from "./stream-positions";

export interface AccountDataRow {
  room_id: string;
  type: string;
  content: string;
  stream_id: number;
}

const UPSERT = `
  INSERT INTO account_data (user_id, room_id, type, content, stream_id) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (user_id, room_id, type) DO UPDATE SET content = excluded.content, stream_id = excluded.stream_id`;
const SELECT_ONE = "SELECT content FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?";
const SELECT_SINCE = `
  SELECT room_id, type, content, stream_id FROM account_data
  WHERE user_id = ? AND stream_id > ? AND stream_id <= ? ORDER BY stream_id`;

const DELETE_FOR_USER = "DELETE FROM account_data WHERE user_id = ?";

/** The room id under which global account data is stored. */
export const GLOBAL_ROOM = "";

export function createAccountDataRepo(db: Database, streams: StreamPositions) {
  return {
    /** Stores content (JSON text) and returns the new stream position. */
    putAccountData(userId: string, roomId: string, type: string, content: string): number {
      return db.transaction(() => {
        const streamId = streams.next("account_data");
        db.query(UPSERT).run(userId, roomId, type, content, streamId);
        return streamId;
      })();
    },
    getAccountData(userId: string, roomId: string, type: string): string | undefined {
      return db.query<{ content: string }, [string, string, string]>(SELECT_ONE).get(userId, roomId, type)?.content;
    },
    /** Every row of the user that changed in (from, to]; from = 0 gives all of it. */
    accountDataSince(userId: string, from: number, to: number): AccountDataRow[] {
      return db.query<AccountDataRow, [string, number, number]>(SELECT_SINCE).all(userId, from, to);
    },
    /** Erasure of a deactivated account (admin API): nothing is streamed, nobody syncs as it any more. */
    deleteForUser(userId: string): void {
      db.query(DELETE_FOR_USER).run(userId);
    },
    position(): number {
      return streams.current("account_data");
    },
  };
}
export type AccountDataRepo = ReturnType<typeof createAccountDataRepo>;
