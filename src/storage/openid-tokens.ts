/** OpenID tokens by hash: who they name until when. Expired rows are deleted as new ones arrive. */
import type { Database } from "bun:sqlite";

const INSERT = "INSERT INTO openid_tokens (token_hash, user_id, expires_ts) VALUES (?, ?, ?)";
const DELETE_EXPIRED = "DELETE FROM openid_tokens WHERE expires_ts <= ?";
const SELECT = "SELECT user_id FROM openid_tokens WHERE token_hash = ? AND expires_ts > ?";
const DELETE_USER = "DELETE FROM openid_tokens WHERE user_id = ?";

export function createOpenIdTokensRepo(db: Database) {
  return {
    /** Stores a token and forgets the ones that expired by `now`. */
    insert(tokenHash: string, userId: string, expiresTs: number, now: number): void {
      db.transaction(() => {
        db.query(DELETE_EXPIRED).run(now);
        db.query(INSERT).run(tokenHash, userId, expiresTs);
      }).immediate();
    },
    /** The user a token names, while it is valid at `now`. */
    userFor(tokenHash: string, now: number): string | null {
      return db.query<{ user_id: string }, [string, number]>(SELECT).get(tokenHash, now)?.user_id ?? null;
    },
    deleteForUser(userId: string): void {
      db.query(DELETE_USER).run(userId);
    },
  };
}
export type OpenIdTokensRepo = ReturnType<typeof createOpenIdTokensRepo>;
