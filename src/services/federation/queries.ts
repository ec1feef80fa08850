/**
 * Answers to other servers' queries about our users and aliases (`/query/*`). Only local
 * identifiers are answered: a server is authoritative for its own names alone.
 */
import type { Storage } from "../../storage";
import { invalidParam, notFound } from "../matrix-error";

export type ProfileField = "displayname" | "avatar_url";

export function createFederationQueries(serverName: string, storage: Storage) {
  return {
    /** The profile of a local user, limited to `field` when one is asked for. */
    queryProfile(userId: string, field?: ProfileField): Record<string, string> {
      if (userId.slice(userId.indexOf(":") + 1) !== serverName || !userId.startsWith("@")) {
        throw invalidParam("The user is not local to this server");
      }
      const user = storage.accounts.getUser(userId);
      if (!user || user.deactivated) throw notFound("No such user");
      const profile: Record<string, string> = {};
      if (user.displayname !== null && field !== "avatar_url") profile.displayname = user.displayname;
      if (user.avatar_url !== null && field !== "displayname") profile.avatar_url = user.avatar_url;
      return profile;
    },
  };
}
