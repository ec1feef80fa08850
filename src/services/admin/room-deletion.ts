/**
 * Deleting a room (Synapse's `DELETE /_synapse/admin/v2/rooms/{roomId}`, and the admin room's
 * `delete-room`/`purge-room`): block it if asked, optionally open a replacement room whose creator
 * posts a message and takes the old room's local aliases, make every local member leave (and
 * forget it), take it off the directory, and purge it from the database unless told not to. It
 * runs in the background; its status is kept in memory under a delete id, as Synapse does.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../../runtime/clock";
import type { Logger } from "../../runtime/logger";
import type { Storage } from "../../storage";
import { errorMessage } from "../../core";
import { actingAs } from "./guard";
import { isLocalUserId } from "../accounts/user-ids";
import type { Membership } from "../membership";
import { invalidParam, notFound } from "../matrix-error";
import type { Rooms } from "../rooms";

export interface DeleteOptions {
  block?: boolean;
  /** Default true: the room's data goes from the database once no local user is in it. */
  purge?: boolean;
  /** Purge even when some local user could not be made to leave. */
  forcePurge?: boolean;
  newRoomUserId?: string;
  roomName?: string;
  message?: string;
}

export interface ShutdownResult {
  kicked_users: string[];
  failed_to_kick_users: string[];
  local_aliases: string[];
  new_room_id: string | null;
}

export interface DeleteStatus {
  delete_id: string;
  room_id: string;
  status: "scheduled" | "active" | "complete" | "failed";
  error?: string;
  shutdown_room: ShutdownResult;
}

/** Finished statuses are kept this long (Synapse keeps them for a day). */
const STATUS_TTL_MS = 24 * 60 * 60_000;
const DEFAULT_MESSAGE = "Sharing illegal content on this server is not permitted and rooms in violation will be blocked.";
const DEFAULT_ROOM_NAME = "Content Violation Notification";


export interface RoomDeletionDeps {
  storage: Storage;
  clock: Clock;
  log: Logger;
  serverName: string;
  rooms: Rooms;
  membership: Membership;
}

export function createRoomDeletion({ storage, clock, log, serverName, rooms, membership }: RoomDeletionDeps) {
  const statuses = new Map<string, DeleteStatus & { finishedMs?: number }>();
  const isLocal = (userId: string) => isLocalUserId(userId, serverName);

  function forgetOld(): void {
    const now = clock.now();
    for (const [id, s] of statuses) if (s.finishedMs !== undefined && now - s.finishedMs > STATUS_TTL_MS) statuses.delete(id);
  }

  async function replacementRoom(opts: DeleteOptions, aliases: string[], oldRoomId: string): Promise<string> {
    const creator = opts.newRoomUserId!;
    const { room_id: newRoomId } = await rooms.creation.createRoom(actingAs(creator), { preset: "public_chat", name: opts.roomName ?? DEFAULT_ROOM_NAME });
    await rooms.actions.sendMessage(actingAs(creator), newRoomId, "m.room.message", undefined, { msgtype: "m.text", body: opts.message ?? DEFAULT_MESSAGE });
    storage.aliases.moveAll(oldRoomId, newRoomId);
    log.info("admin room deletion: replacement room", { room_id: oldRoomId, new_room_id: newRoomId, aliases });
    return newRoomId;
  }

  /** Members of a deleted room are joined to its replacement; one that cannot join is only logged. */
  async function moveTo(userId: string, newRoomId: string): Promise<void> {
    try {
      await membership.join(actingAs(userId), newRoomId);
    } catch (e) {
      log.warn("admin room deletion: a member could not join the replacement room", { room_id: newRoomId, user_id: userId, error: errorMessage(e) });
    }
  }

  async function run(adminId: string, roomId: string, opts: DeleteOptions, status: DeleteStatus): Promise<void> {
    status.status = "active";
    const result = status.shutdown_room;
    if (opts.block) storage.roomBlocks.block(roomId, adminId, clock.now());
    if (!storage.rooms.get(roomId)) return;
    result.local_aliases = storage.aliases.forRoom(roomId);
    if (opts.newRoomUserId !== undefined) result.new_room_id = await replacementRoom(opts, result.local_aliases, roomId);
    const locals = [...new Set([...storage.memberships.usersWith(roomId, "join"), ...storage.memberships.usersWith(roomId, "invite")])].filter(isLocal);
    for (const userId of locals) {
      if (userId === opts.newRoomUserId) continue;
      try {
        await membership.leave(actingAs(userId), roomId, "This room has been shut down by a server admin");
        storage.memberships.forget(roomId, userId);
        result.kicked_users.push(userId);
        if (result.new_room_id) await moveTo(userId, result.new_room_id);
      } catch (e) {
        log.warn("admin room deletion: a member could not leave", { room_id: roomId, user_id: userId, error: errorMessage(e) });
        result.failed_to_kick_users.push(userId);
      }
    }
    for (const alias of storage.aliases.forRoom(roomId)) storage.aliases.delete(alias);
    storage.rooms.setPublished(roomId, false);
    storage.appserviceRoomLists.unpublishRoom(roomId);
    if ((opts.purge ?? true) && (result.failed_to_kick_users.length === 0 || opts.forcePurge)) {
      const events = await rooms.queue.run(roomId, () => storage.roomPurge.purgeRoom(roomId));
      // The room's head, state and events may be cached: they are read again from the database.
      rooms.heads.invalidate();
      rooms.state.invalidate();
      rooms.eventStore.invalidate();
      log.info("admin room deletion: purged", { room_id: roomId, events });
    }
  }

  return {
    /** Starts the deletion; returns its delete id at once. */
    start(adminId: string, roomId: string, opts: DeleteOptions): { delete_id: string; done: Promise<void> } {
      if (!roomId.startsWith("!")) throw invalidParam(`${roomId} is not a room id`);
      if (!storage.rooms.get(roomId) && !opts.block) throw notFound(`Room ${roomId} is not known to this server`);
      if (opts.newRoomUserId !== undefined && (!isLocal(opts.newRoomUserId) || !storage.accounts.getUser(opts.newRoomUserId))) {
        throw invalidParam(`${opts.newRoomUserId} is not a user of this server`);
      }
      const active = [...statuses.values()].find((s) => s.room_id === roomId && (s.status === "scheduled" || s.status === "active"));
      if (active) throw invalidParam(`Room ${roomId} is already being deleted (${active.delete_id})`);
      forgetOld();
      const status: DeleteStatus & { finishedMs?: number } = {
        delete_id: randomUUID(),
        room_id: roomId,
        status: "scheduled",
        shutdown_room: { kicked_users: [], failed_to_kick_users: [], local_aliases: [], new_room_id: null },
      };
      statuses.set(status.delete_id, status);
      const done = run(adminId, roomId, opts, status).then(
        () => {
          status.status = "complete";
          status.finishedMs = clock.now();
          log.info("admin room deletion: complete", { delete_id: status.delete_id, room_id: roomId });
        },
        (e: unknown) => {
          status.status = "failed";
          status.error = errorMessage(e);
          status.finishedMs = clock.now();
          log.warn("admin room deletion: failed", { delete_id: status.delete_id, room_id: roomId, error: status.error });
        },
      );
      return { delete_id: status.delete_id, done };
    },

    /** `GET /_synapse/admin/v2/rooms/{roomId}/delete_status` */
    forRoom(roomId: string): { results: DeleteStatus[] } {
      const results = [...statuses.values()].filter((s) => s.room_id === roomId).map(({ finishedMs: _, ...s }) => s);
      if (results.length === 0) throw notFound(`No deletion of ${roomId} is known`);
      return { results };
    },

    /** `GET /_synapse/admin/v2/rooms/delete_status/{deleteId}` */
    byId(deleteId: string): Omit<DeleteStatus, "delete_id" | "room_id"> {
      const s = statuses.get(deleteId);
      if (!s) throw notFound(`No deletion ${deleteId} is known`);
      const { status, error, shutdown_room } = s;
      return { status, ...(error === undefined ? {} : { error }), shutdown_room };
    },
  };
}
export type RoomDeletion = ReturnType<typeof createRoomDeletion>;
