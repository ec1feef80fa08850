/**
 * Each user's push rules as the push service keeps them (one JSON document per user). A write
 * takes the next account-data stream position, because clients receive the rules as the
 * `m.push_rules` account data in /sync.
 */
import type { Database } from "bun:sqlite";
import type { StreamPositions } from "./stream-positions";

export interface PushRulesRow {
  rules: string;
  stream_id: number;
}

const SELECT = "SELECT rules, stream_id FROM push_rules WHERE user_id = ?";
const UPSERT = `
  INSERT INTO push_rules (user_id, rules, stream_id) VALUES (?, ?, ?)
  ON CONFLICT (user_id) DO UPDATE SET rules = excluded.rules, stream_id = excluded.stream_id`;
const DELETE = "DELETE FROM push_rules WHERE user_id = ?";
const USERS = "SELECT user_id FROM push_rules";

export function createPushRulesRepo(db: Database, streams: StreamPositions) {
  return {
    get(userId: string): PushRulesRow | null {
      return db.query<PushRulesRow, [string]>(SELECT).get(userId);
    },
    /** Stores the user's rules and returns the account-data stream position of the change. */
    put(userId: string, rules: string): number {
      return db.transaction(() => {
        const streamId = streams.next("account_data");
        db.query(UPSERT).run(userId, rules, streamId);
        return streamId;
      })();
    },
    /** Every user who has stored rules. */
    users(): string[] {
      return db.query<{ user_id: string }, []>(USERS).all().map((r) => r.user_id);
    },
    /** Forgets the user's rules (deactivation). */
    delete(userId: string): void {
      db.query(DELETE).run(userId);
    },
  };
}
export type PushRulesRepo = ReturnType<typeof createPushRulesRepo>;
