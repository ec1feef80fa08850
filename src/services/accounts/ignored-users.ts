/**
 * Ignoring users (spec "Ignoring Users"): the `m.ignored_user_list` account data names the users
 * whose events (but state events) and invites the owner no longer receives. Its content is
 * checked when written and the list is kept as a table (`storage.ignoredUsers`) for the readers:
 * /sync, /messages, /context, search and push evaluation.
 */
import { parseUserId } from "../../core/ids";
import { isJsonObject, type JsonObject } from "../../core/types";
import type { EventRow } from "../../storage/events";
import { badJson, invalidParam } from "../matrix-error";

export const IGNORED_USER_LIST = "m.ignored_user_list";

/** The user ids an `m.ignored_user_list` content names; refuses anything but an object of user ids. */
export function ignoredUsersIn(content: JsonObject): Set<string> {
  const list = content.ignored_users ?? {};
  if (!isJsonObject(list)) throw badJson("ignored_users must be an object");
  for (const userId of Object.keys(list)) if (!parseUserId(userId)) throw invalidParam(`${userId} in ignored_users is not a user id`);
  return new Set(Object.keys(list));
}

/** Whether an ignorer is spared this event: anything but state from a user they ignore. */
export const isIgnored = (row: Pick<EventRow, "sender" | "state_key">, ignored: ReadonlySet<string>): boolean =>
  row.state_key === null && ignored.has(row.sender);
