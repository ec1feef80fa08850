/**
 * User ids of local accounts (spec appendix "User Identifiers"): the localpart grammar new accounts
 * must follow, generated localparts and device ids, and the reading of the `m.id.user` identifier
 * clients log in with (a localpart or a full user id).
 */
import { randomBytes } from "node:crypto";
import { MAX_ID_BYTES, isValidUserLocalpart, parseUserId, utf8Length } from "../../core";
import { MatrixError } from "../matrix-error";

export const invalidUsername = (msg: string) => new MatrixError(400, "M_INVALID_USERNAME", msg);

export function userIdFor(localpart: string, serverName: string): string {
  return `@${localpart}:${serverName}`;
}

/**
 * Maps a requested username onto a localpart, or throws M_INVALID_USERNAME. Upper case is folded
 * to lower case (the spec lets servers map usernames "in a logical manner"; Synapse and Conduit
 * fold case too), anything else outside the grammar is refused.
 */
export function localpartFromUsername(username: string, serverName: string): string {
  const localpart = username.toLowerCase();
  if (localpart === "") throw invalidUsername("The username must not be empty");
  // New accounts follow the current grammar; the historical one is only for remote users.
  if (!isValidUserLocalpart(localpart)) {
    throw invalidUsername("User ids may only contain a-z, 0-9, and the characters . _ = - / +");
  }
  if (utf8Length(userIdFor(localpart, serverName)) > MAX_ID_BYTES) {
    throw invalidUsername(`User ids are at most ${MAX_ID_BYTES} bytes long`);
  }
  return localpart;
}

const GENERATED_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function randomString(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  // 256 is not a multiple of 36 or 26; the slight bias is harmless for identifiers that are not secrets.
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** A localpart for a registration that gave no username. */
export function generateLocalpart(): string {
  return randomString(GENERATED_ALPHABET, 12);
}

/** A device id for a login or registration that gave none: ten upper-case letters, as Synapse does. */
export function generateDeviceId(): string {
  return randomString("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 10);
}

/**
 * The local user an `m.id.user` identifier names: `alice` or `@alice:our.server` (case-folded, as
 * registration folds it). Returns undefined for a user of another server or a malformed id.
 */
export function localUserFromIdentifier(user: string, serverName: string): string | undefined {
  if (!user.startsWith("@")) return userIdFor(user.toLowerCase(), serverName);
  const parsed = parseUserId(user);
  if (parsed?.serverName !== serverName) return undefined;
  return userIdFor(parsed.localpart.toLowerCase(), serverName);
}

/** Whether `userId` is a well-formed id of an account on this server. */
export function isLocalUserId(userId: string, serverName: string): boolean {
  return parseUserId(userId)?.serverName === serverName;
}
