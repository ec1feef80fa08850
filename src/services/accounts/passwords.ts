/**
 * Passwords: argon2id hashing with explicit parameters (OWASP's minimum: 19 MiB, two passes), run
 * by Bun on its thread pool so the event loop keeps serving while a hash is computed, one at a
 * time (each holds 19 MiB while it runs: a burst of logins must not multiply that); and the
 * check of an `m.login.password` dict, shared by `/login` and the UIA password stage. Failed
 * checks are rate limited per client address and user. Checking a user without a password still
 * costs one verification, so response times do not tell which user names exist.
 */
import type { Storage } from "../../storage";
import { localUserFromIdentifier } from "./user-ids";
import { MatrixError, badJson, forbidden, invalidParam, missingParam, userDeactivated, userLocked } from "../matrix-error";
import type { RateLimiter } from "../rate-limit";

const ARGON2 = { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 } as const;

/** The end of the last queued argon2 operation: each starts when the one before it is done. */
let argon2Queue: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(run: () => Promise<T>): Promise<T> {
  const result = argon2Queue.then(run, run);
  argon2Queue = result.catch(() => undefined);
  return result;
}

export const weakPassword = (msg: string) => new MatrixError(400, "M_WEAK_PASSWORD", msg);

/** As Synapse: longer passwords are refused before any hashing (a 10 MB one costs ~1 s of CPU). */
export const MAX_PASSWORD_BYTES = 512;

function requireBoundedLength(password: string): void {
  if (password.length > MAX_PASSWORD_BYTES || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw invalidParam(`The password is longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
}

export async function hashPassword(password: string): Promise<string> {
  // Argon2 refuses empty input; an empty password is no protection anyway.
  if (password === "") throw weakPassword("The password must not be empty");
  requireBoundedLength(password);
  return oneAtATime(() => Bun.password.hash(password, ARGON2));
}

let decoy: Promise<string> | undefined;

/** Whether `password` matches `hash`; a null hash (no password, deactivated) never matches. */
export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (hash === null || password === "") {
    decoy ??= hashPassword("decoy password that matches nothing");
    const decoyHash = await decoy;
    await oneAtATime(() => Bun.password.verify("x", decoyHash));
    return false;
  }
  return oneAtATime(() => Bun.password.verify(password, hash));
}

/** The fields of an `m.login.password` dict, as `/login` bodies and UIA `auth` dicts carry them. */
export interface PasswordCredentials {
  identifier?: unknown;
  /** Deprecated top-level form of `identifier: {type: "m.id.user", user}`. */
  user?: unknown;
  password?: unknown;
}

function str(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw badJson(`Invalid field '${field}': expected a string`);
  return value;
}

/** The local user id the credentials name; 403 for identifiers we cannot resolve (3PIDs, other servers). */
function userIdOf(creds: PasswordCredentials, serverName: string): string {
  let user: string | undefined;
  if (creds.identifier !== undefined) {
    const id = creds.identifier;
    if (typeof id !== "object" || id === null || Array.isArray(id)) throw badJson("Invalid field 'identifier': expected an object");
    const fields = id as Record<string, unknown>;
    const type = str(fields.type, "identifier.type");
    if (type === "m.id.thirdparty" || type === "m.id.phone") {
      // No third-party identifiers are bound to accounts here; the spec answers unknown 3PIDs with 403.
      throw forbidden("No account is bound to this third-party identifier");
    }
    if (type !== "m.id.user") throw invalidParam(`Unknown identifier type '${type ?? ""}'`);
    user = str(fields.user, "identifier.user");
  } else {
    user = str(creds.user, "user");
  }
  if (user === undefined) throw missingParam("Missing 'identifier' naming the user");
  const userId = localUserFromIdentifier(user, serverName);
  if (userId === undefined) throw forbidden("Invalid username or password");
  return userId;
}

export function createPasswordChecker(storage: Storage, rateLimits: RateLimiter, serverName: string) {
  return {
    /**
     * Returns the user the credentials authenticate, or throws: 403 `M_FORBIDDEN` for a wrong user
     * or password, 403 `M_USER_DEACTIVATED`, 401 `M_USER_LOCKED`, 429 after too many failures from this address.
     */
    async check(creds: PasswordCredentials, clientAddress: string): Promise<string> {
      const userId = userIdOf(creds, serverName);
      const password = str(creds.password, "password");
      if (password === undefined) throw missingParam("Missing 'password'");
      requireBoundedLength(password);
      // Per address and user, and per user alone: rotating addresses buys no more guesses.
      const limitKey = `${clientAddress}\u0000${userId}`;
      rateLimits.check("failed_login", limitKey);
      rateLimits.check("failed_login_account", userId);
      const user = storage.accounts.getUser(userId);
      if (user?.deactivated) throw userDeactivated();
      if (!(await verifyPassword(password, user?.password_hash ?? null))) {
        rateLimits.record("failed_login", limitKey);
        rateLimits.record("failed_login_account", userId);
        throw forbidden("Invalid username or password");
      }
      // Only a caller who knows the password learns that the account is locked.
      if (user?.locked) throw userLocked();
      return userId;
    },
  };
}
export type PasswordChecker = ReturnType<typeof createPasswordChecker>;
