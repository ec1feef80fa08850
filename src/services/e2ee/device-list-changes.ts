/**
 * Device-list changes (spec "Tracking the device list for a user", server-server "Device
 * Management"): every change to a local user's devices or keys takes a position on the device-list
 * stream, wakes the local users who share a room with them, and goes to the servers that share a
 * room with them as an m.device_list_update (one per device, chained by `prev_id`) or an
 * m.signing_key_update. `/sync` and `/keys/changes` read back who changed, and who started or
 * stopped sharing a room with the reader.
 */
import type { Edu, JsonObject } from "../../core";
import type { Storage } from "../../storage";
import { serverOf } from "../federation/room-view";
import { companyChanges } from "../rooms/membership-view";

export interface DeviceListChangesDeps {
  serverName: string;
  storage: Storage;
  /** Wakes the long-polling syncs of these users. */
  wakeUsers(userIds: Iterable<string>): void;
  /** Queues an EDU for these servers (durably, inside the caller's transaction). */
  queueEdu(destinations: Iterable<string>, edu: Edu): void;
}

/** The positions a device-list section is read between (a sync token's events and device lists). */
export interface ListPositions {
  events: number;
  deviceLists: number;
}

export type DeviceListSection = {
  changed: string[];
  left: string[];
};


/** Past this many (candidates x rooms) lookups, the set of everyone sharing a room is built once. */
const SHARED_LOOKUP_BUDGET = 2_000;

export function createDeviceListChanges(deps: DeviceListChangesDeps) {
  const { serverName, storage } = deps;
  const listeners = new Set<(userId: string) => void>();
  /** Everyone sharing a room with `userId` hears of the change (their syncs, appservices). */
  function announce(userId: string): void {
    deps.wakeUsers(localAudience(userId));
    for (const listener of listeners) listener(userId);
  }
  const joinedRooms = (userId: string) =>
    storage.memberships.forUser(userId).filter((m) => m.membership === "join").map((m) => m.room_id);

  /** Local users who share a room with `userId` (the user included, when local). */
  function localAudience(userId: string): Set<string> {
    const audience = new Set<string>();
    if (serverOf(userId) === serverName) audience.add(userId);
    for (const roomId of joinedRooms(userId)) {
      for (const u of storage.memberships.usersWith(roomId, "join")) if (serverOf(u) === serverName) audience.add(u);
    }
    return audience;
  }

  /** Other servers that share a room with the local user. */
  function remoteServers(userId: string): Set<string> {
    const servers = new Set<string>();
    for (const roomId of joinedRooms(userId)) {
      for (const u of storage.memberships.usersWith(roomId, "join")) servers.add(serverOf(u));
    }
    servers.delete(serverName);
    return servers;
  }

  /** A predicate "shares a room with `userId` now", cheap for few candidates and for many. */
  function sharingWith(userId: string, rooms: readonly string[], candidates: number): (other: string) => boolean {
    if (candidates * rooms.length > SHARED_LOOKUP_BUDGET) {
      const everyone = new Set([userId]);
      for (const roomId of rooms) for (const u of storage.memberships.usersWith(roomId, "join")) everyone.add(u);
      return (other) => everyone.has(other);
    }
    return (other) => other === userId || rooms.some((roomId) => storage.memberships.get(roomId, other)?.membership === "join");
  }

  /**
   * Who `userId` should re-query, and who they share no room with any more, between two
   * positions: users whose devices changed and who share a room with them now; users who
   * joined, were invited to or knocked on one of their rooms, or everyone in a room they joined;
   * and, in `left`, users of rooms either side left who share no room with them now.
   */
  function section(userId: string, from: ListPositions, to: ListPositions): DeviceListSection {
    const listChanges = storage.deviceLists.changedSince(from.deviceLists, to.deviceLists, userId);
    const company = companyChanges(storage, userId, from.events, to.events);
    // Invitees and knockers too (as in Synapse): clients may encrypt to them before they join.
    const changed = new Set([...company.joined, ...company.invited]);
    const maybeLeft = company.maybeLeft;
    // Most syncs have nobody to check.
    if (listChanges.length === 0 && maybeLeft.size === 0) return { changed: [...changed], left: [] };
    const rooms = joinedRooms(userId);
    const shares = sharingWith(userId, rooms, listChanges.length + maybeLeft.size);
    for (const u of listChanges) if (shares(u)) changed.add(u);
    const left: string[] = [];
    for (const u of maybeLeft) {
      if (u === userId || shares(u)) continue;
      left.push(u);
      changed.delete(u);
    }
    return { changed: [...changed], left };
  }

  return {
    localAudience,

    /**
     * A local user's devices changed (keys uploaded, renamed, deleted): one position and one
     * m.device_list_update per device. `describe` gives a device's current keys and name, or
     * null once it is deleted. Runs inside the caller's transaction.
     */
    devicesChanged(userId: string, deviceIds: readonly string[], describe: (deviceId: string) => { keys?: JsonObject; displayName?: string } | null): void {
      if (deviceIds.length === 0) return;
      const servers = remoteServers(userId);
      for (const deviceId of deviceIds) {
        const streamId = storage.deviceLists.recordChange(userId);
        const prevId = storage.deviceLists.chainDeviceUpdate(userId, streamId);
        if (servers.size === 0) continue;
        const content: JsonObject = { user_id: userId, device_id: deviceId, stream_id: streamId, prev_id: prevId === null ? [] : [prevId] };
        const device = describe(deviceId);
        // Device names stay on this server (as Synapse does by default): other servers get keys.
        if (device === null) content.deleted = true;
        else if (device.keys) content.keys = device.keys;
        deps.queueEdu(servers, { edu_type: "m.device_list_update", content });
      }
      announce(userId);
    },

    /** A local user's master or self-signing key changed: everyone sharing a room is told. */
    signingKeysChanged(userId: string, keys: { master_key?: JsonObject; self_signing_key?: JsonObject }): void {
      storage.deviceLists.recordChange(userId);
      const servers = remoteServers(userId);
      if (servers.size > 0) deps.queueEdu(servers, { edu_type: "m.signing_key_update", content: { user_id: userId, ...keys } });
      announce(userId);
    },

    /** A change only `observer` is told of (their user-signing key, their signature on `userId`). */
    changedFor(observer: string, userId: string): void {
      storage.deviceLists.recordChange(userId, observer);
      deps.wakeUsers([observer]);
    },

    /** A remote user's device list changed (an EDU was applied): local users sharing a room hear of it. */
    remoteChanged(userId: string): void {
      storage.deviceLists.recordChange(userId);
      announce(userId);
    },

    section,

    position: () => storage.deviceLists.position(),

    /** Told of every user whose devices or cross-signing keys changed, inside the caller's transaction. */
    onChange(listener: (userId: string) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
export type DeviceListChanges = ReturnType<typeof createDeviceListChanges>;
