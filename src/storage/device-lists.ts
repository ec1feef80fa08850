/**
 * Device lists: the change stream `/sync` and `/keys/changes` read (one row per user and observer
 * holding the position of their last change), the chain of m.device_list_update EDUs sent for
 * each local user, and the cached device lists of other servers' users, with the origin's stream
 * id of the version held so `prev_id` gaps can be seen.
 */
import type { Database } from "bun:sqlite";
import type { StreamPositions } from "./stream-positions";

/** The observer of a change every user sharing a room with its user is told of. */
export const EVERYONE = "";

export interface RemoteDeviceListRow {
  user_id: string;
  stream_id: number;
  master_key: string | null;
  self_signing_key: string | null;
  stale: number;
  fetched_ts: number;
}

export interface RemoteDeviceRow {
  device_id: string;
  display_name: string | null;
  key_json: string | null;
}

export interface RemoteDeviceList {
  streamId: number;
  devices: readonly RemoteDeviceRow[];
  masterKey: string | null;
  selfSigningKey: string | null;
}

const SELECT_LAST_UPDATE = "SELECT stream_id FROM device_list_outbound WHERE user_id = ?";
const UPSERT_LAST_UPDATE = `
  INSERT INTO device_list_outbound (user_id, stream_id) VALUES (?, ?)
  ON CONFLICT (user_id) DO UPDATE SET stream_id = excluded.stream_id`;
const UPSERT_CHANGE = `
  INSERT INTO device_list_changes (user_id, observer, stream_id) VALUES (?, ?, ?)
  ON CONFLICT (user_id, observer) DO UPDATE SET stream_id = excluded.stream_id`;
const SELECT_CHANGED = `
  SELECT DISTINCT user_id FROM device_list_changes
  WHERE stream_id > ? AND stream_id <= ? AND (observer = '' OR observer = ?)`;

const SELECT_REMOTE_LIST = "SELECT * FROM remote_device_lists WHERE user_id = ?";
const SELECT_REMOTE_DEVICES = "SELECT device_id, display_name, key_json FROM remote_devices WHERE user_id = ? ORDER BY device_id";
const UPSERT_REMOTE_LIST = `
  INSERT INTO remote_device_lists (user_id, stream_id, master_key, self_signing_key, stale, fetched_ts) VALUES (?, ?, ?, ?, 0, ?)
  ON CONFLICT (user_id) DO UPDATE SET stream_id = excluded.stream_id, master_key = excluded.master_key,
    self_signing_key = excluded.self_signing_key, stale = 0, fetched_ts = excluded.fetched_ts`;
const DELETE_REMOTE_DEVICES = "DELETE FROM remote_devices WHERE user_id = ?";
const DELETE_REMOTE_DEVICE = "DELETE FROM remote_devices WHERE user_id = ? AND device_id = ?";
const UPSERT_REMOTE_DEVICE = `
  INSERT INTO remote_devices (user_id, device_id, display_name, key_json) VALUES (?, ?, ?, ?)
  ON CONFLICT (user_id, device_id) DO UPDATE SET display_name = excluded.display_name, key_json = excluded.key_json`;
const SET_REMOTE_STREAM = "UPDATE remote_device_lists SET stream_id = ? WHERE user_id = ?";
const SET_REMOTE_SIGNING_KEYS = `
  UPDATE remote_device_lists SET master_key = coalesce(?, master_key), self_signing_key = coalesce(?, self_signing_key)
  WHERE user_id = ?`;
const MARK_REMOTE_STALE = "UPDATE remote_device_lists SET stale = 1 WHERE user_id = ?";
const DELETE_REMOTE_LIST = "DELETE FROM remote_device_lists WHERE user_id = ?";

export function createDeviceListsRepo(db: Database, streams: StreamPositions) {
  const lastDeviceUpdate = (userId: string) =>
    db.query<{ stream_id: number }, [string]>(SELECT_LAST_UPDATE).get(userId)?.stream_id ?? null;

  return {
    /**
     * Records a change to the user's devices or keys, seen by `observer` (default: everyone), and
     * returns its stream position.
     */
    recordChange(userId: string, observer: string = EVERYONE): number {
      return db.transaction(() => {
        const streamId = streams.next("device_lists");
        db.query(UPSERT_CHANGE).run(userId, observer, streamId);
        return streamId;
      })();
    },
    /**
     * Makes `streamId` the local user's last m.device_list_update and returns the one before it
     * (its `prev_id`; null for the first).
     */
    chainDeviceUpdate(userId: string, streamId: number): number | null {
      return db.transaction(() => {
        const prevId = lastDeviceUpdate(userId);
        db.query(UPSERT_LAST_UPDATE).run(userId, streamId);
        return prevId;
      })();
    },
    /** The stream id of the local user's last m.device_list_update (null before the first). */
    lastDeviceUpdate,
    /** Users whose last change visible to `observer` lies in (from, to]. */
    changedSince(from: number, to: number, observer: string): string[] {
      if (from >= to) return [];
      return db.query<{ user_id: string }, [number, number, string]>(SELECT_CHANGED).all(from, to, observer).map((r) => r.user_id);
    },
    position(): number {
      return streams.current("device_lists");
    },

    // ---- remote device lists ---------------------------------------------------------------
    remoteList(userId: string): RemoteDeviceListRow | null {
      return db.query<RemoteDeviceListRow, [string]>(SELECT_REMOTE_LIST).get(userId);
    },
    remoteDevices(userId: string): RemoteDeviceRow[] {
      return db.query<RemoteDeviceRow, [string]>(SELECT_REMOTE_DEVICES).all(userId);
    },
    /** Stores a whole device list fetched from the user's server (a resync). */
    replaceRemoteList(userId: string, list: RemoteDeviceList, now: number): void {
      db.transaction(() => {
        db.query(UPSERT_REMOTE_LIST).run(userId, list.streamId, list.masterKey, list.selfSigningKey, now);
        db.query(DELETE_REMOTE_DEVICES).run(userId);
        const insert = db.query(UPSERT_REMOTE_DEVICE);
        for (const d of list.devices) insert.run(userId, d.device_id, d.display_name, d.key_json);
      })();
    },
    /**
     * Applies one m.device_list_update to a tracked list: the device's new keys and name, or its
     * removal (`device` null), and the new stream id.
     */
    applyRemoteUpdate(userId: string, streamId: number, deviceId: string, device: Omit<RemoteDeviceRow, "device_id"> | null): void {
      db.transaction(() => {
        if (device) db.query(UPSERT_REMOTE_DEVICE).run(userId, deviceId, device.display_name, device.key_json);
        else db.query(DELETE_REMOTE_DEVICE).run(userId, deviceId);
        db.query(SET_REMOTE_STREAM).run(streamId, userId);
      })();
    },
    /** Replaces a tracked user's master and/or self-signing key (null leaves one as it is). */
    setRemoteSigningKeys(userId: string, masterKey: string | null, selfSigningKey: string | null): void {
      db.query(SET_REMOTE_SIGNING_KEYS).run(masterKey, selfSigningKey, userId);
    },
    /** An update showed a gap that a resync has not closed yet: queries must ask the origin. */
    markRemoteStale(userId: string): void {
      db.query(MARK_REMOTE_STALE).run(userId);
    },
    /** Stops tracking the user (no local user shares a room with them any more). */
    forgetRemote(userId: string): void {
      db.query(DELETE_REMOTE_LIST).run(userId);
    },
  };
}
export type DeviceListsRepo = ReturnType<typeof createDeviceListsRepo>;
