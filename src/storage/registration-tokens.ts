/**
 * Registration tokens made by admins (Synapse's admin API shape): how often each may be used and
 * until when. A registration uses one by counting it completed, in one statement that also checks
 * the allowance, so two registrations cannot both take the last use.
 */
import { SQLiteError, type Database } from "bun:sqlite";

export interface RegistrationTokenRow {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

const INSERT = "INSERT INTO registration_tokens (token, uses_allowed, expiry_time) VALUES (?, ?, ?)";
const SELECT = "SELECT * FROM registration_tokens WHERE token = ?";
const SELECT_ALL = "SELECT * FROM registration_tokens ORDER BY token";
const COUNT = "SELECT count(*) AS n FROM registration_tokens";
const UPDATE = "UPDATE registration_tokens SET uses_allowed = ?, expiry_time = ? WHERE token = ?";
const DELETE = "DELETE FROM registration_tokens WHERE token = ?";
const RELEASE = "UPDATE registration_tokens SET completed = completed - 1 WHERE token = ? AND completed > 0";
const USE = `
  UPDATE registration_tokens SET completed = completed + 1
  WHERE token = ? AND (uses_allowed IS NULL OR pending + completed < uses_allowed) AND (expiry_time IS NULL OR expiry_time > ?)`;

export function createRegistrationTokensRepo(db: Database) {
  return {
    /** Returns false, writing nothing, when the token exists. */
    insert(token: string, usesAllowed: number | null, expiryTime: number | null): boolean {
      try {
        db.query(INSERT).run(token, usesAllowed, expiryTime);
        return true;
      } catch (e) {
        if (e instanceof SQLiteError && e.code === "SQLITE_CONSTRAINT_PRIMARYKEY") return false;
        throw e;
      }
    },
    get(token: string): RegistrationTokenRow | null {
      return db.query<RegistrationTokenRow, [string]>(SELECT).get(token);
    },
    all(): RegistrationTokenRow[] {
      return db.query<RegistrationTokenRow, []>(SELECT_ALL).all();
    },
    /** Whether any token exists: then registration asks for one. */
    any(): boolean {
      return db.query<{ n: number }, []>(COUNT).get()!.n > 0;
    },
    update(token: string, usesAllowed: number | null, expiryTime: number | null): boolean {
      return db.query(UPDATE).run(usesAllowed, expiryTime, token).changes > 0;
    },
    delete(token: string): boolean {
      return db.query(DELETE).run(token).changes > 0;
    },
    /** Gives back a use whose registration failed after all. */
    release(token: string): void {
      db.query(RELEASE).run(token);
    },
    /** Counts one registration made with the token; false when it is unknown, used up or expired. */
    use(token: string, now: number): boolean {
      return db.query(USE).run(token, now).changes > 0;
    },
  };
}
export type RegistrationTokensRepo = ReturnType<typeof createRegistrationTokensRepo>;
