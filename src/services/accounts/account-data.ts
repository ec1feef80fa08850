/**
 * Account data (spec "Client Config") and room tags (spec "Room Tagging", stored as `m.tag` room
 * account data). Each change wakes the owner's waiting `/sync` requests.
 */
import type { JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import { GLOBAL_ROOM, type AccountDataRow } from "../../storage/account-data";
import type { Requester } from "./access-tokens";
import { IGNORED_USER_LIST, ignoredUsersIn } from "./ignored-users";
import { MatrixError, badJson, forbidden, invalidParam, notFound } from "../matrix-error";
import type { Notifier } from "../sync/notifier";

/** Types the server manages itself: clients get 405 for writes (since v1.10 also m.push_rules). */
const serverManaged = new Set(["m.fully_read", "m.push_rules"]);

const maxTagBytes = 255;

function ownUser(requester: Requester, userId: string): void {
  if (requester.userId !== userId) throw forbidden("Cannot access account data of other users");
}

function roomIdParam(roomId: string): string {
  // Since room v12 a room ID may carry no server name, so only the sigil is checked.
  if (!/^!\S+$/.test(roomId)) throw invalidParam(`'${roomId}' is not a room ID`);
  return roomId;
}

/** Account data and tag contents are JSON objects; arrays and scalars are not. */
export function jsonObject(body: unknown, what: string): JsonObject {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badJson(`${what} must be a JSON object`);
  return body as JsonObject;
}

function clientWritable(type: string): void {
  if (serverManaged.has(type)) {
    throw new MatrixError(405, "M_BAD_JSON", `Cannot set ${type} through this API`);
  }
}

export function createAccountDataService(storage: Storage, notifier: Notifier) {
  const repo = storage.accountData;

  function put(userId: string, roomId: string, type: string, content: JsonObject): void {
    // The ignore list is checked first and its table changes in the same transaction.
    const ignored = roomId === GLOBAL_ROOM && type === IGNORED_USER_LIST ? ignoredUsersIn(content) : undefined;
    if (!ignored) repo.putAccountData(userId, roomId, type, JSON.stringify(content));
    else storage.transaction(() => storage.ignoredUsers.replace(userId, ignored, repo.putAccountData(userId, roomId, type, JSON.stringify(content))));
    notifier.wakeUsers([userId]);
  }

  function get(userId: string, roomId: string, type: string): JsonObject | undefined {
    const text = repo.getAccountData(userId, roomId, type);
    return text === undefined ? undefined : (JSON.parse(text) as JsonObject);
  }

  function tagsOf(userId: string, roomId: string): JsonObject {
    const tags = get(userId, roomId, "m.tag")?.tags;
    return typeof tags === "object" && tags !== null && !Array.isArray(tags) ? { ...tags } : {};
  }

  return {
    setGlobal(requester: Requester, userId: string, type: string, content: unknown): void {
      ownUser(requester, userId);
      clientWritable(type);
      put(userId, GLOBAL_ROOM, type, jsonObject(content, "Account data"));
    },

    getGlobal(requester: Requester, userId: string, type: string): JsonObject {
      ownUser(requester, userId);
      const content = get(userId, GLOBAL_ROOM, type);
      if (!content) throw notFound(`No account data of type ${type}`);
      return content;
    },

    setForRoom(requester: Requester, userId: string, roomId: string, type: string, content: unknown): void {
      ownUser(requester, userId);
      roomIdParam(roomId);
      clientWritable(type);
      put(userId, roomId, type, jsonObject(content, "Account data"));
    },

    getForRoom(requester: Requester, userId: string, roomId: string, type: string): JsonObject {
      ownUser(requester, userId);
      roomIdParam(roomId);
      const content = get(userId, roomId, type);
      if (!content) throw notFound(`No account data of type ${type} for room ${roomId}`);
      return content;
    },

    getTags(requester: Requester, userId: string, roomId: string): { tags: JsonObject } {
      ownUser(requester, userId);
      return { tags: tagsOf(userId, roomIdParam(roomId)) };
    },

    setTag(requester: Requester, userId: string, roomId: string, tag: string, body: unknown): void {
      ownUser(requester, userId);
      roomIdParam(roomId);
      const content = jsonObject(body, "Tag content");
      if (Buffer.byteLength(tag) > maxTagBytes) throw invalidParam(`Tag names are at most ${maxTagBytes} bytes`);
      const tags = tagsOf(userId, roomId);
      Object.defineProperty(tags, tag, { value: content, enumerable: true, writable: true, configurable: true });
      put(userId, roomId, "m.tag", { tags });
    },

    deleteTag(requester: Requester, userId: string, roomId: string, tag: string): void {
      ownUser(requester, userId);
      roomIdParam(roomId);
      const tags = tagsOf(userId, roomId);
      if (!Object.hasOwn(tags, tag)) return;
      delete tags[tag];
      put(userId, roomId, "m.tag", { tags });
    },

    /**
     * A room upgrade: the new room joins the old one in every `m.direct` list, and takes the old
     * room's tags unless it has tags of its own.
     */
    copyForRoom(userId: string, from: string, to: string): void {
      const direct = get(userId, GLOBAL_ROOM, "m.direct");
      if (direct) {
        let changed = false;
        const next: JsonObject = {};
        for (const [partner, rooms] of Object.entries(direct)) {
          const grows = Array.isArray(rooms) && rooms.includes(from) && !rooms.includes(to);
          next[partner] = grows ? [...rooms, to] : rooms;
          changed ||= grows;
        }
        if (changed) put(userId, GLOBAL_ROOM, "m.direct", next);
      }
      const tags = tagsOf(userId, from);
      if (Object.keys(tags).length > 0 && Object.keys(tagsOf(userId, to)).length === 0) put(userId, to, "m.tag", { tags });
    },

    /** The read-markers API is the only writer of `m.fully_read`. */
    setFullyRead(userId: string, roomId: string, eventId: string): void {
      put(userId, roomId, "m.fully_read", { event_id: eventId });
    },

    /** Rows changed in (from, to] for `/sync`; from = 0 gives everything. */
    changedSince(userId: string, from: number, to: number): AccountDataRow[] {
      return repo.accountDataSince(userId, from, to);
    },

    position(): number {
      return repo.position();
    },
  };
}
export type AccountDataService = ReturnType<typeof createAccountDataService>;
