/**
 * Creating a local account without registration (no UIA, open even when registration is closed):
 * what `conduit admin create-user`, the admin API's create-or-modify and the admin room's
 * `create-user` share. The localpart follows registration's grammar, folded to lower case.
 */
import type { Clock } from "../../runtime/clock";
import type { Storage } from "../../storage";
import { hashPassword } from "../accounts/passwords";
import { localpartFromUsername, userIdFor } from "../accounts/user-ids";
import { userInUse } from "../accounts/users";

export interface NewLocalUser {
  /** A localpart or a full user id of this server. */
  name: string;
  /** Without one the account cannot log in with a password until an admin sets one. */
  password?: string;
  admin: boolean;
  displayname?: string;
}

/** The user id `name` stands for on this server (a localpart, or `@local:server`). */
export function localUserId(name: string, serverName: string): string {
  const suffix = `:${serverName}`;
  const localpart = name.startsWith("@") && name.endsWith(suffix) ? name.slice(1, -suffix.length) : name;
  return userIdFor(localpartFromUsername(localpart, serverName), serverName);
}

/** Inserts the account; 400 `M_USER_IN_USE` when it exists (nothing is written then). */
export async function createLocalUser(storage: Storage, clock: Clock, serverName: string, user: NewLocalUser): Promise<string> {
  const userId = localUserId(user.name, serverName);
  const passwordHash = user.password === undefined ? null : await hashPassword(user.password);
  storage.transaction(() => {
    const created = storage.accounts.insertUser({
      userId,
      passwordHash,
      displayname: user.displayname ?? userId.slice(1, userId.indexOf(":")),
      isGuest: false,
      createdTs: clock.now(),
    });
    if (!created) throw userInUse();
    if (user.admin) storage.accounts.setFlag(userId, "admin", true);
  });
  return userId;
}
