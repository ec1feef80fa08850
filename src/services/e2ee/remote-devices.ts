/**
 * Other servers' users' device lists (server-server "Device Management"). While a local user
 * shares a room with a remote user, their list is cached here: filled by `GET /user/devices`,
 * kept current by m.device_list_update EDUs whose `prev_id` is what we hold, refetched when an
 * update shows a gap, and forgotten once no local user shares a room with them (updates stop
 * arriving then, so the cache could only go stale). Lists of users nobody here tracks are asked of
 * their server each time (see key-queries).
 */
import { isJsonObject, isValidUserId, type JsonObject } from "../../core";
import type { Storage } from "../../storage";
import type { RemoteDeviceList, RemoteDeviceRow } from "../../storage/device-lists";
import type { Clock } from "../../runtime/clock";
import type { FederationClient } from "../../net/federation-client";
import { serverOf } from "../federation/room-view";
import type { Logger } from "../../runtime/logger";
import type { DeviceListChanges } from "./device-list-changes";

/** A user's published keys as a client receives them from `/keys/query`. */
export interface UserKeys {
  devices: Record<string, JsonObject>;
  masterKey?: JsonObject;
  selfSigningKey?: JsonObject;
}

export interface RemoteDevicesDeps {
  serverName: string;
  storage: Storage;
  clock: Clock;
  log: Logger;
  federation: FederationClient;
  changes: DeviceListChanges;
}

export function createRemoteDevices(deps: RemoteDevicesDeps) {
  const { serverName, storage, log } = deps;
  const lists = storage.deviceLists;
  /** Resyncs under way, so concurrent queries and EDUs share one request per user. */
  const resyncs = new Map<string, Promise<void>>();

  /** Whether some local user shares a joined room with the (remote) user. */
  function isTracked(userId: string): boolean {
    for (const m of storage.memberships.forUser(userId)) {
      if (m.membership !== "join") continue;
      if (storage.memberships.usersWith(m.room_id, "join").some((u) => serverOf(u) === serverName)) return true;
    }
    return false;
  }

  function cached(userId: string): UserKeys {
    const row = lists.remoteList(userId)!;
    const devices: Record<string, JsonObject> = {};
    for (const d of lists.remoteDevices(userId)) {
      if (d.key_json === null) continue;
      const keys = JSON.parse(d.key_json) as JsonObject;
      devices[d.device_id] = d.display_name === null ? keys : { ...keys, unsigned: { device_display_name: d.display_name } };
    }
    const out: UserKeys = { devices };
    if (row.master_key !== null) out.masterKey = JSON.parse(row.master_key) as JsonObject;
    if (row.self_signing_key !== null) out.selfSigningKey = JSON.parse(row.self_signing_key) as JsonObject;
    return out;
  }

  /** Fetches the whole list from the user's server and stores it; one request per user at a time. */
  function resync(userId: string, timeoutMs: number): Promise<void> {
    const running = resyncs.get(userId);
    if (running) return running;
    const done = (async () => {
      const answer = await deps.federation.request<unknown>(serverOf(userId), {
        method: "GET",
        path: `/_matrix/federation/v1/user/devices/${encodeURIComponent(userId)}`,
        timeoutMs,
      });
      const list = readDeviceList(userId, answer);
      if (!list) throw new Error(`${serverOf(userId)} answered user/devices for ${userId} with a malformed list`);
      // Nobody here may share a room with the user any more by the time the answer comes.
      if (isTracked(userId)) lists.replaceRemoteList(userId, list, deps.clock.now());
    })().finally(() => resyncs.delete(userId));
    resyncs.set(userId, done);
    return done;
  }

  /** Resyncs after a gap without holding up the transaction that showed it. */
  function resyncLater(userId: string): void {
    resync(userId, 30_000).then(
      () => deps.changes.remoteChanged(userId),
      (e: unknown) => log.info("device list resync failed; the next query retries", { user_id: userId, error: e }),
    );
  }

  return {
    isTracked,

    /**
     * The user's keys from the cache, filling or refreshing it first when needed; undefined when
     * no local user shares a room with them (the caller asks their server directly). Throws when
     * their server cannot be reached.
     */
    async keysOf(userId: string, timeoutMs: number): Promise<UserKeys | undefined> {
      if (!isTracked(userId)) {
        if (lists.remoteList(userId)) lists.forgetRemote(userId);
        return undefined;
      }
      const row = lists.remoteList(userId);
      if (!row || row.stale) {
        try {
          await resync(userId, timeoutMs);
        } catch (e) {
          // A list that missed an update beats none at all; with none, the server's failure shows.
          if (!lists.remoteList(userId)) throw e;
        }
      }
      return lists.remoteList(userId) ? cached(userId) : undefined;
    },

    /** An m.device_list_update from `origin`. */
    onDeviceListUpdate(origin: string, content: JsonObject): void {
      const { user_id: userId, device_id: deviceId, stream_id: streamId } = content;
      if (typeof userId !== "string" || !isValidUserId(userId) || serverOf(userId) !== origin) return;
      if (typeof deviceId !== "string" || typeof streamId !== "number" || !Number.isSafeInteger(streamId)) return;
      if (!isTracked(userId)) return;
      const row = lists.remoteList(userId);
      if (!row) {
        // Not fetched yet: clients will query, and the query fetches the whole list.
        deps.changes.remoteChanged(userId);
        return;
      }
      if (streamId <= row.stream_id) return; // already covered by what we hold
      const prevIds = Array.isArray(content.prev_id) ? content.prev_id : [];
      const follows = !row.stale && prevIds.length > 0 && prevIds.every((p) => typeof p === "number" && p <= row.stream_id);
      if (!follows) {
        lists.markRemoteStale(userId);
        deps.changes.remoteChanged(userId);
        resyncLater(userId);
        return;
      }
      const device = content.deleted === true ? null : readDevice(userId, deviceId, content.keys, content.device_display_name);
      lists.applyRemoteUpdate(userId, streamId, deviceId, device);
      deps.changes.remoteChanged(userId);
    },

    /** An m.signing_key_update from `origin`. */
    onSigningKeyUpdate(origin: string, content: JsonObject): void {
      const userId = content.user_id;
      if (typeof userId !== "string" || !isValidUserId(userId) || serverOf(userId) !== origin || !isTracked(userId)) return;
      const master = ownKey(userId, content.master_key);
      const selfSigning = ownKey(userId, content.self_signing_key);
      if (master === null && selfSigning === null) return;
      if (lists.remoteList(userId)) lists.setRemoteSigningKeys(userId, master, selfSigning);
      deps.changes.remoteChanged(userId);
    },

    /** Forgets the user's list once no local user shares a room with them. */
    untrackIfAlone(userId: string): void {
      if (lists.remoteList(userId) && !isTracked(userId)) lists.forgetRemote(userId);
    },
  };
}
export type RemoteDevices = ReturnType<typeof createRemoteDevices>;

/** A `GET /user/devices` answer for `userId`, keeping only keys that are the user's own. */
function readDeviceList(userId: string, answer: unknown): RemoteDeviceList | undefined {
  if (!isJsonObject(answer) || answer.user_id !== userId || !Array.isArray(answer.devices)) return undefined;
  const streamId = answer.stream_id;
  if (typeof streamId !== "number" || !Number.isSafeInteger(streamId)) return undefined;
  const devices: RemoteDeviceRow[] = [];
  for (const d of answer.devices) {
    if (!isJsonObject(d) || typeof d.device_id !== "string") continue;
    devices.push({ device_id: d.device_id, ...readDevice(userId, d.device_id, d.keys, d.device_display_name) });
  }
  return {
    streamId,
    devices,
    masterKey: ownKey(userId, answer.master_key),
    selfSigningKey: ownKey(userId, answer.self_signing_key),
  };
}

function readDevice(userId: string, deviceId: string, keys: unknown, displayName: unknown): Omit<RemoteDeviceRow, "device_id"> {
  const own = isJsonObject(keys) && keys.user_id === userId && keys.device_id === deviceId;
  return {
    display_name: typeof displayName === "string" ? displayName : null,
    key_json: own ? JSON.stringify(withoutUnsigned(keys)) : null,
  };
}

/** A cross-signing key of `userId` as JSON text, or null when absent or someone else's. */
function ownKey(userId: string, key: unknown): string | null {
  return isJsonObject(key) && key.user_id === userId ? JSON.stringify(withoutUnsigned(key)) : null;
}

function withoutUnsigned(object: JsonObject): JsonObject {
  const { unsigned: _unsigned, ...rest } = object;
  return rest;
}
