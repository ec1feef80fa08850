/**
 * Users, devices and access tokens. Tokens are looked up by the SHA-256 of their value, so a leaked
 * database does not leak live sessions.
 */
import type { Database } from "bun:sqlite";

export interface UserRow {
  user_id: string;
  password_hash: string | null;
  displayname: string | null;
  avatar_url: string | null;
  is_guest: number;
  deactivated: number;
  created_ts: number;
}

export interface TokenOwner {
  user_id: string;
  device_id: string;
  is_guest: number;
  deactivated: number;
}

const SELECT_USER = "SELECT * FROM users WHERE user_id = ?";
const SELECT_TOKEN_OWNER = `
  SELECT t.user_id, t.device_id, u.is_guest, u.deactivated
  FROM access_tokens t JOIN users u ON u.user_id = t.user_id
  WHERE t.token_hash = ?`;

export function createAccountsRepo(db: Database) {
  return {
    getUser(userId: string): UserRow | null {
      return db.query<UserRow, [string]>(SELECT_USER).get(userId);
    },

    getTokenOwner(tokenHash: string): TokenOwner | null {
      return db.query<TokenOwner, [string]>(SELECT_TOKEN_OWNER).get(tokenHash);
    },
  };
}
export type AccountsRepo = ReturnType<typeof createAccountsRepo>;
