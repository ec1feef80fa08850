/**
 * User ids of local accounts (spec appendix "User Identifiers"): the localpart grammar new accounts
 * must follow, generated localparts and device ids, and the reading of the `m.id.user` identifier
 * clients log in with (a localpart or a full user id).
 */
import { randomBytes } from "node:crypto";
import { MatrixError } from "./matrix-error";

/** Localparts of new accounts: lower-case letters, digits and `._=/+-` (the historical set is not allowed). */
const LOCALPART = /^[a-z0-9._=/+-]+$/;
/** A whole user id, sigil and server name included, is at most 255 bytes. */
const MAX_USER_ID_BYTES = 255;

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
  if (!LOCALPART.test(localpart)) {
    throw invalidUsername("User ids may only contain a-z, 0-9, and the characters . _ = - / +");
  }
  if (Buffer.byteLength(userIdFor(localpart, serverName)) > MAX_USER_ID_BYTES) {
    throw invalidUsername(`User ids are at most ${MAX_USER_ID_BYTES} bytes long`);
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
  const colon = user.indexOf(":");
  if (colon < 2 || user.slice(colon + 1) !== serverName) return undefined;
  return userIdFor(user.slice(1, colon).toLowerCase(), serverName);
}

/** Whether `userId` names an account of this server (its server name follows the first colon). */
export function isLocalUserId(userId: string, serverName: string): boolean {
  const colon = userId.indexOf(":");
  return userId.startsWith("@") && colon > 1 && userId.slice(colon + 1) === serverName;
}
