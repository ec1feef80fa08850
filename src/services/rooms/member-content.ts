/**
 * What room membership needs from accounts: the profile copied into a user's m.room.member
 * content, and whether an invitee exists and accepts invites (local users only; remote ones are
 * federation's business).
 */
import type { JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import { assertInvitable } from "../accounts/invite-permissions";
import { notFound } from "../matrix-error";

/** `{membership}` plus the user's displayname and avatar_url when this server knows them. */
export function memberContent(storage: Storage, userId: string, membership: string): JsonObject {
  const content: JsonObject = { membership };
  const user = storage.accounts.getUser(userId);
  if (user?.displayname) content.displayname = user.displayname;
  if (user?.avatar_url) content.avatar_url = user.avatar_url;
  return content;
}

/**
 * A join's content: the profile, then what the request body adds (as Synapse takes it: a reason,
 * a per-room displayname or avatar, any other key), and `membership` itself. `third_party_signed`
 * is a request field, not content.
 */
export function joinContent(storage: Storage, userId: string, extra: JsonObject = {}): JsonObject {
  const { third_party_signed: _signed, ...fields } = extra;
  return { ...memberContent(storage, userId, "join"), ...fields, membership: "join" };
}

/** 404 when a local invitee has no account; 403 `M_INVITE_BLOCKED` when they block invites. */
export function requireInvitee(storage: Storage, userId: string, serverName: string): void {
  const local = userId.endsWith(`:${serverName}`);
  if (local && !storage.accounts.getUser(userId)) throw notFound(`Unknown user ${userId}`);
  if (local) assertInvitable(storage, userId);
}
