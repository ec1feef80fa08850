/**
 * Simplified sliding sync (MSC4186): one request of a connection. It loads what the connection
 * was sent (`connections.ts`), matches the user's rooms against the lists and subscriptions
 * (`room-list.ts`), builds each matched room's changes (`room-result.ts`) and the extensions
 * (`extensions.ts`), and records the response under a new `pos`. With nothing new and a
 * `timeout`, it parks on the notifier like `/sync`; the computation never awaits, so it reads
 * one consistent database and no wake-up slips between reading and waiting.
 */
import { compileFilter } from "../../../core/filter";
import { formatSyncToken, type SyncToken } from "../../../core/sync-token";
import type { JsonObject } from "../../../core/types";
import type { Clock } from "../../../runtime/clock";
import type { Logger } from "../../../runtime/logger";
import type { Storage } from "../../../storage";
import type { Requester } from "../../accounts/access-tokens";
import type { PresenceService } from "../../edus/presence";
import type { ReceiptsService } from "../../edus/receipts";
import { invalidParam } from "../../matrix-error";
import type { Notifier } from "../notifier";
import type { SyncRequest, SyncStream } from "../streams/stream";
import { maxSyncTimeoutMs, type SyncService } from "../sync";
import type { ConnectionState, Connections, SentRoom } from "./connections";
import type { Extensions } from "./extensions";
import { combineConfigs } from "./required-state";
import type { RoomConfig, SlidingRequest } from "./request";
import type { RoomEntry, RoomList } from "./room-list";
import type { ResponseContext, RoomResults } from "./room-result";

export interface SlidingSyncDeps {
  storage: Storage;
  clock: Clock;
  log: Logger;
  notifier: Notifier;
  sync: Pick<SyncService, "currentToken" | "parseToken" | "positionIn">;
  /** `/sync`'s streams after the room events, in token order. */
  streams: readonly SyncStream[];
  presence: Pick<PresenceService, "syncStarted">;
  receipts: Pick<ReceiptsService, "changedSince">;
  connections: Connections;
  roomList: RoomList;
  results: RoomResults;
  extensions: Extensions;
}

interface Computed {
  response: JsonObject;
  news: boolean;
  token: SyncToken;
  lists: Record<string, number>;
  sent: Map<string, SentRoom>;
}

/** The extension that reads each stream: while it is off, the connection keeps the stream's position. */
const streamExtension: Record<string, keyof SlidingRequest["extensions"]> = {
  account_data: "accountData",
  receipts: "receipts",
  typing: "typing",
  device_lists: "e2ee",
};

const noFilter = compileFilter(undefined);

export function createSlidingSync(deps: SlidingSyncDeps) {
  const { storage, clock, log, notifier, sync, streams, presence, receipts, connections, roomList, results, extensions } = deps;
  const streamIndex = new Map(streams.map((s, i) => [s.key, i + 1]));

  /** Rooms where the user's own receipts moved in (since, to]: their unread counts may have. */
  function readRooms(userId: string, since: number | undefined, to: number): Set<string> {
    const rooms = new Set<string>();
    if (since === undefined) return rooms;
    for (const row of receipts.changedSince(since, to)) if (row.user_id === userId) rooms.add(row.room_id);
    return rooms;
  }

  function compute(requester: Requester, request: SlidingRequest, conn: ConnectionState): Computed {
    const { userId, deviceId } = requester;
    const to = sync.currentToken();
    const toRooms = to.positions[0]!;
    const since = conn.token === undefined ? undefined : sync.parseToken(conn.token);
    const positionOf = (t: SyncToken, key: string) => t.positions[streamIndex.get(key)!] ?? 0;

    // Lists: filter, order, window (MSC4186 "Lists").
    const ignored = storage.ignoredUsers.ignoredBy(userId);
    const entries = roomList.rooms(userId, toRooms, request.dialect, (roomId) => conn.rooms.has(roomId), ignored);
    const dmRooms = roomList.dmRooms(userId);
    const jobs = new Map<string, { entry: RoomEntry; lists: string[]; configs: RoomConfig[] }>();
    const job = (entry: RoomEntry) => {
      let j = jobs.get(entry.membership.room_id);
      if (!j) jobs.set(entry.membership.room_id, (j = { entry, lists: [], configs: [] }));
      return j;
    };
    const lists: Record<string, number> = {};
    const windows = new Map<string, string[]>();
    for (const [name, list] of request.lists) {
      const filtered = roomList.filter(entries, list.filters, { userId, to: toRooms, dmRooms });
      lists[name] = filtered.length;
      const picked = new Set<RoomEntry>();
      if (list.ranges) for (const [from, end] of list.ranges) for (const e of filtered.slice(from, end + 1)) picked.add(e);
      else for (const e of filtered) picked.add(e);
      windows.set(name, [...picked].map((e) => e.membership.room_id));
      for (const e of picked) {
        const j = job(e);
        j.lists.push(name);
        j.configs.push(list.config);
      }
    }
    // Subscriptions: any room the user is or was in (MSC4186 "Subscriptions"); others are ignored.
    const byId = new Map(entries.map((e) => [e.membership.room_id, e]));
    const subscribed: string[] = [];
    for (const [roomId, config] of request.subscriptions) {
      let entry = byId.get(roomId);
      if (!entry) {
        const m = storage.memberships.get(roomId, userId);
        if (!m || m.forgotten) continue;
        entry = roomList.entryOf(m, toRooms, request.dialect);
      }
      subscribed.push(roomId);
      job(entry).configs.push(config);
    }

    const ctx: ResponseContext = {
      userId,
      deviceId,
      dialect: request.dialect,
      to: toRooms,
      liveFrom: since?.positions[0],
      nextBatch: formatSyncToken(to),
      dmRooms,
      readRooms: readRooms(userId, since && sync.positionIn(since, "receipts"), positionOf(to, "receipts")),
      ignored,
    };
    const rooms: JsonObject = {};
    const sent = new Map<string, SentRoom>();
    const initial = new Set<string>();
    for (const [roomId, j] of jobs) {
      const outcome = results.compute({ entry: j.entry, lists: j.lists, ...combineConfigs(j.configs) }, conn.rooms.get(roomId), ctx);
      if (outcome.result) rooms[roomId] = outcome.result;
      if (outcome.sent) sent.set(roomId, outcome.sent);
      if (outcome.initial && outcome.result) initial.add(roomId);
    }

    const req: SyncRequest = {
      userId,
      deviceId,
      filter: noFilter,
      fullState: false,
      useStateAfter: false,
      nextBatch: ctx.nextBatch,
      roomEvents: { since: since?.positions[0], to: toRooms },
    };
    const ext = extensions.compute(request, {
      req,
      since: (key) => (since ? sync.positionIn(since, key) : undefined),
      to: (key) => positionOf(to, key),
      windows,
      subscribed,
      joined: (roomId) => jobs.get(roomId)?.entry.membership.membership === "join",
      initial,
    });

    // The token this response ends at: a stream whose extension is off keeps its old position.
    const token: SyncToken = { ...to, positions: [...to.positions] };
    if (since) {
      for (const [key, extension] of Object.entries(streamExtension)) {
        const i = streamIndex.get(key);
        if (i !== undefined && !request.extensions[extension]) token.positions[i] = since.positions[i] ?? 0;
      }
    }
    const listsChanged = JSON.stringify(lists) !== JSON.stringify(conn.lists);
    const response: JsonObject = { lists: Object.fromEntries(Object.entries(lists).map(([name, count]) => [name, { count }])), rooms, extensions: ext.extensions };
    if (request.txnId !== undefined) response.txn_id = request.txnId;
    return { response, news: Object.keys(rooms).length > 0 || ext.news || listsChanged, token, lists, sent };
  }

  return {
    async sync(requester: Requester, request: SlidingRequest, signal?: AbortSignal): Promise<JsonObject> {
      if (requester.deviceId === "") throw invalidParam("Sliding sync needs a device");
      const { userId, deviceId } = requester;
      const conn = connections.load(userId, deviceId, request.connId, request.pos);
      const ended = presence.syncStarted(userId, request.setPresence);
      try {
        let result = compute(requester, request, conn);
        // The first request of a connection (no `pos`) answers at once; so does one with news.
        if (request.pos !== undefined && !result.news) {
          const deadline = clock.now() + Math.min(request.timeoutMs, maxSyncTimeoutMs);
          while (!result.news) {
            const remaining = deadline - clock.now();
            if (remaining <= 0 || signal?.aborted) break;
            log.debug("sliding sync waits for news", { user_id: userId, conn_id: request.connId, timeout_ms: remaining });
            if (!(await notifier.wait(userId, remaining, () => false, signal))) break;
            result = compute(requester, request, conn);
          }
        }
        // A cancelled request (the client went on with another) must record nothing: its answer is never read.
        if (signal?.aborted) return { pos: request.pos ?? "", ...result.response };
        // Nothing new: the client keeps its `pos` (the same picture of the rooms, nothing to record).
        const pos = request.pos !== undefined && !result.news ? request.pos : connections.save(conn, formatSyncToken(result.token), result.lists, result.sent);
        return { pos, ...result.response };
      } finally {
        ended();
      }
    },
  };
}
export type SlidingSync = ReturnType<typeof createSlidingSync>;
