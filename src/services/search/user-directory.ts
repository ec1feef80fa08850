/**
 * The user directory (spec "User Directory"): `POST /user_directory/search` finds users by user
 * id or display name among those the searcher shares a room with or sees in a public room, or
 * among everyone known with `search_all_users`. The directory table follows the changes that
 * matter as they happen: local profile changes and deactivations, other servers' users' member
 * events, and rooms turning public or private.
 */
import { foldToken } from "../../core/search/text";
import { isJsonObject, type JsonObject, type StateKey } from "../../core/types";
import type { Storage } from "../../storage";
import type { Requester } from "../accounts/access-tokens";
import type { AccountEvent } from "../accounts/account-events";
import { isLocalUserId } from "../accounts/user-ids";
import { badJson, invalidParam, missingParam } from "../matrix-error";
import type { EventStore } from "../rooms/event-store";
import { splitStateKey } from "../rooms/state";

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

/** What the terms are matched against: the display name and the user id, folded. */
const searchTextOf = (userId: string, displayName: string | null) => foldToken(`${displayName ?? ""} ${userId}`);

export function createUserDirectory(deps: { storage: Storage; eventStore: EventStore; serverName: string; searchAllUsers: boolean }) {
  const { storage, eventStore, serverName } = deps;

  const contentOf = (eventId: string | null): JsonObject | undefined => (eventId === null ? undefined : eventStore.getPdu(eventId)?.content);
  const stringOr = (v: unknown) => (typeof v === "string" ? v : null);

  /** Whether anyone may join or read the room now. */
  function isPublic(roomId: string): boolean {
    const joinRule = contentOf(storage.state.currentStateEvent(roomId, "m.room.join_rules", ""))?.join_rule;
    const visibility = contentOf(storage.state.currentStateEvent(roomId, "m.room.history_visibility", ""))?.history_visibility;
    return joinRule === "public" || visibility === "world_readable";
  }

  return {
    /** Follows local profile changes and deactivations (after their commit). */
    accountChanged(event: AccountEvent): void {
      if (event.type === "deactivated") storage.userDirectory.remove(event.userId);
      else if (storage.accounts.getUser(event.userId)?.is_guest !== 1) {
        const user = { user_id: event.userId, display_name: event.displayname, avatar_url: event.avatarUrl };
        storage.userDirectory.upsert(user, searchTextOf(event.userId, event.displayname));
      }
    },

    /** Follows a room's current state (inside the persisting transaction). */
    roomStateChanged(roomId: string, changed: ReadonlyMap<StateKey, string | null>): void {
      let publicity = false;
      for (const [key, eventId] of changed) {
        const [type, stateKey] = splitStateKey(key);
        if ((type === "m.room.join_rules" || type === "m.room.history_visibility") && stateKey === "") publicity = true;
        // Local users are listed under their global profile; other servers' as their joins show them.
        if (type !== "m.room.member" || isLocalUserId(stateKey, serverName)) continue;
        const content = contentOf(eventId);
        if (content?.membership !== "join") continue;
        const displayName = stringOr(content.displayname);
        storage.userDirectory.upsert({ user_id: stateKey, display_name: displayName, avatar_url: stringOr(content.avatar_url) }, searchTextOf(stateKey, displayName));
      }
      if (publicity) storage.userDirectory.setPublicRoom(roomId, isPublic(roomId));
    },

    /** POST /user_directory/search */
    search(requester: Requester, body: unknown): JsonObject {
      if (!isJsonObject(body)) throw badJson("The request body must be a JSON object");
      const { search_term, limit } = body;
      if (search_term === undefined) throw missingParam("search_term is required");
      if (typeof search_term !== "string") throw badJson("search_term must be a string");
      if (limit !== undefined && (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0)) throw invalidParam("limit must be a non-negative integer");
      const max = Math.min(limit ?? DEFAULT_LIMIT, MAX_LIMIT);
      const terms = foldToken(search_term).split(/\s+/).filter((t) => t !== "");
      if (terms.length === 0) return { results: [], limited: false };
      const rows = storage.userDirectory.search(requester.userId, terms, deps.searchAllUsers, max + 1);
      const results = rows.slice(0, max).map((row) => {
        const user: JsonObject = { user_id: row.user_id };
        if (row.display_name !== null) user.display_name = row.display_name;
        if (row.avatar_url !== null) user.avatar_url = row.avatar_url;
        return user;
      });
      return { results, limited: rows.length > max };
    },
  };
}
export type UserDirectory = ReturnType<typeof createUserDirectory>;
