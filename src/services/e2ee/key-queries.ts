/**
 * Reading and claiming other devices' keys (spec `POST /keys/query`, `POST /keys/claim`, and their
 * federation twins `POST /user/keys/query`, `POST /user/keys/claim`, `GET /user/devices`). Local
 * users are answered from storage; remote users from the device-list cache or their server, all
 * servers asked at once. A server that cannot be reached is named in `failures`: the request
 * itself still succeeds with everything else.
 */
import { crossSigningPublicKey, errorMessage, isJsonObject, isValidUserId, type JsonObject } from "../../core";
import type { Storage } from "../../storage";
import type { SignatureRow } from "../../storage/e2ee-keys";
import type { FederationClient } from "../../net/federation-client";
import { RemoteError } from "../../net/federation-client";
import { serverOf } from "../federation/room-view";
import { badJson, invalidParam, notFound } from "../matrix-error";
import type { DeviceKeysService } from "./device-keys";
import type { RemoteDevices, UserKeys } from "./remote-devices";

export interface KeysQueryResponse {
  device_keys: Record<string, Record<string, JsonObject>>;
  master_keys: Record<string, JsonObject>;
  self_signing_keys: Record<string, JsonObject>;
  user_signing_keys?: Record<string, JsonObject>;
  failures?: Record<string, JsonObject>;
}

export interface KeysClaimResponse {
  one_time_keys: Record<string, Record<string, Record<string, JsonObject | string>>>;
  failures?: Record<string, JsonObject>;
}

/** What a remote query waits for when the client names no timeout (the spec's advice). */
export const DEFAULT_REMOTE_TIMEOUT_MS = 10_000;
const MAX_REMOTE_TIMEOUT_MS = 60_000;

export interface KeyQueriesDeps {
  serverName: string;
  storage: Storage;
  deviceKeys: DeviceKeysService;
  remote: RemoteDevices;
  federation: FederationClient;
}

export function createKeyQueries(deps: KeyQueriesDeps) {
  const { serverName, storage, deviceKeys, remote } = deps;
  const isLocal = (userId: string) => serverOf(userId) === serverName;

  /** Adds uploaded signatures to a key object (a copy). */
  function withSignatures(key: JsonObject, rows: readonly SignatureRow[]): JsonObject {
    if (rows.length === 0) return key;
    const signatures: JsonObject = isJsonObject(key.signatures) ? { ...key.signatures } : {};
    for (const r of rows) {
      const bySigner = isJsonObject(signatures[r.signer_user]) ? { ...(signatures[r.signer_user] as JsonObject) } : {};
      bySigner[r.signer_key] = r.signature;
      signatures[r.signer_user] = bySigner;
    }
    return { ...key, signatures };
  }

  /** A master key with the signatures `viewer` may see ('' for another server: the owner's only). */
  function masterAsSeenBy(userId: string, master: JsonObject, viewer: string): JsonObject {
    const pub = crossSigningPublicKey(master);
    return pub === undefined ? master : withSignatures(master, storage.e2eeKeys.masterKeySignatures(userId, pub, viewer));
  }

  /** A local user's keys; names and user-signing keys only for this server's own clients. */
  function localKeys(userId: string, deviceIds: readonly string[], viewer: string, forClient: boolean): UserKeys & { userSigningKey?: JsonObject } {
    const out: UserKeys & { userSigningKey?: JsonObject } = { devices: deviceKeys.devicesOf(userId, deviceIds, forClient) };
    const stored = storage.e2eeKeys.crossSigningKeys(userId);
    if (stored.master) out.masterKey = masterAsSeenBy(userId, JSON.parse(stored.master) as JsonObject, viewer);
    if (stored.self_signing) out.selfSigningKey = JSON.parse(stored.self_signing) as JsonObject;
    // The user-signing key is its owner's business alone (spec `user_signing_keys`).
    if (forClient && viewer === userId && stored.user_signing) out.userSigningKey = JSON.parse(stored.user_signing) as JsonObject;
    return out;
  }

  function addKeys(response: KeysQueryResponse, userId: string, keys: UserKeys & { userSigningKey?: JsonObject }): void {
    response.device_keys[userId] = keys.devices;
    if (keys.masterKey) response.master_keys[userId] = keys.masterKey;
    if (keys.selfSigningKey) response.self_signing_keys[userId] = keys.selfSigningKey;
    if (keys.userSigningKey) (response.user_signing_keys ??= {})[userId] = keys.userSigningKey;
  }

  /** Asks one server for the keys of its users that are not cached here. */
  async function queryServer(server: string, users: Map<string, string[]>, timeoutMs: number, viewer: string): Promise<Map<string, UserKeys>> {
    const found = new Map<string, UserKeys>();
    const direct: Record<string, string[]> = {};
    await Promise.all(
      [...users].map(async ([userId, devices]) => {
        const keys = await remote.keysOf(userId, timeoutMs);
        if (keys) found.set(userId, { ...keys, devices: pick(keys.devices, devices) });
        else direct[userId] = devices;
      }),
    );
    if (Object.keys(direct).length > 0) {
      const answer = await deps.federation.request<unknown>(server, {
        method: "POST",
        path: "/_matrix/federation/v1/user/keys/query",
        body: { device_keys: direct },
        timeoutMs,
      });
      for (const [userId, keys] of readQueryAnswer(answer, Object.keys(direct))) found.set(userId, keys);
    }
    for (const [userId, keys] of found) if (keys.masterKey) keys.masterKey = masterAsSeenBy(userId, keys.masterKey, viewer);
    return found;
  }

  return {
    /** `POST /keys/query` for `viewer`. */
    async query(viewer: string, body: unknown): Promise<KeysQueryResponse> {
      const request = readRequest(body, "device_keys", readDeviceList);
      const timeoutMs = readTimeout(body);
      const response: KeysQueryResponse = { device_keys: {}, master_keys: {}, self_signing_keys: {} };
      const byServer = new Map<string, Map<string, string[]>>();
      for (const [userId, devices] of request) {
        if (isLocal(userId)) addKeys(response, userId, localKeys(userId, devices, viewer, true));
        else group(byServer, serverOf(userId)).set(userId, devices);
      }
      await Promise.all(
        [...byServer].map(async ([server, users]) => {
          try {
            for (const [userId, keys] of await queryServer(server, users, timeoutMs, viewer)) addKeys(response, userId, keys);
          } catch (e) {
            (response.failures ??= {})[server] = failureOf(e);
          }
        }),
      );
      response.failures ??= {};
      return response;
    },

    /** `POST /keys/claim`: one key per requested device, never the same one-time key twice. */
    async claim(body: unknown): Promise<KeysClaimResponse> {
      const request = readRequest(body, "one_time_keys", readAlgorithms);
      const timeoutMs = readTimeout(body);
      const response: KeysClaimResponse = { one_time_keys: {}, failures: {} };
      const byServer = new Map<string, Map<string, Record<string, string>>>();
      const local: [string, Record<string, string>][] = [];
      for (const [userId, devices] of request) {
        if (isLocal(userId)) local.push([userId, devices]);
        else group(byServer, serverOf(userId)).set(userId, devices);
      }
      // One transaction: one commit for every local claim of the request.
      storage.transaction(() => {
        for (const [userId, devices] of local) {
          const claimed = claimLocal(userId, devices);
          if (claimed) response.one_time_keys[userId] = claimed;
        }
      });
      await Promise.all(
        [...byServer].map(async ([server, users]) => {
          try {
            const answer = await deps.federation.request<unknown>(server, {
              method: "POST",
              path: "/_matrix/federation/v1/user/keys/claim",
              body: { one_time_keys: Object.fromEntries(users) },
              timeoutMs,
            });
            for (const [userId, keys] of readClaimAnswer(answer, users)) response.one_time_keys[userId] = keys;
          } catch (e) {
            response.failures![server] = failureOf(e);
          }
        }),
      );
      return response;
    },

    /** `GET /user/devices/{userId}` from another server. */
    userDevices(userId: string): JsonObject {
      if (!isLocal(userId) || !storage.accounts.getUser(userId)) throw notFound(`${userId} is not a user of this server`);
      const keys = localKeys(userId, [], "", false);
      const answer: JsonObject = {
        user_id: userId,
        stream_id: storage.deviceLists.lastDeviceUpdate(userId) ?? 0,
        devices: Object.entries(keys.devices).map(([device_id, k]) => ({ device_id, keys: k })),
      };
      if (keys.masterKey) answer.master_key = keys.masterKey;
      if (keys.selfSigningKey) answer.self_signing_key = keys.selfSigningKey;
      return answer;
    },

    /** `POST /user/keys/query` from another server: only this server's users are answered. */
    federationQuery(body: unknown): KeysQueryResponse {
      const response: KeysQueryResponse = { device_keys: {}, master_keys: {}, self_signing_keys: {} };
      for (const [userId, devices] of readRequest(body, "device_keys", readDeviceList)) {
        if (isLocal(userId)) addKeys(response, userId, localKeys(userId, devices, "", false));
      }
      return response;
    },

    /** `POST /user/keys/claim` from another server. */
    federationClaim(body: unknown): KeysClaimResponse {
      const request = readRequest(body, "one_time_keys", readAlgorithms);
      const response: KeysClaimResponse = { one_time_keys: {} };
      storage.transaction(() => {
        for (const [userId, devices] of request) {
          if (!isLocal(userId)) continue;
          const claimed = claimLocal(userId, devices);
          if (claimed) response.one_time_keys[userId] = claimed;
        }
      });
      return response;
    },
  };

  function claimLocal(userId: string, devices: Record<string, string>): Record<string, Record<string, JsonObject | string>> | undefined {
    const out: Record<string, Record<string, JsonObject | string>> = {};
    for (const [deviceId, algorithm] of Object.entries(devices)) {
      const key = deviceKeys.claim(userId, deviceId, algorithm);
      if (key) out[deviceId] = key;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
}
export type KeyQueries = ReturnType<typeof createKeyQueries>;

function group<V>(map: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let inner = map.get(key);
  if (!inner) map.set(key, (inner = new Map()));
  return inner;
}

function pick(devices: Record<string, JsonObject>, wanted: readonly string[]): Record<string, JsonObject> {
  if (wanted.length === 0) return devices;
  return Object.fromEntries(wanted.filter((d) => Object.hasOwn(devices, d)).map((d) => [d, devices[d]!]));
}

/** `{user id: value}` of a request body, each user id checked and each value read by `read`. */
function readRequest<T>(body: unknown, field: string, read: (value: unknown, field: string) => T): Map<string, T> {
  if (!isJsonObject(body)) throw badJson("The body must be a JSON object");
  const users = body[field];
  if (!isJsonObject(users)) throw badJson(`${field}: must be an object`);
  const out = new Map<string, T>();
  for (const [userId, value] of Object.entries(users)) {
    const userField = `${field}[${JSON.stringify(userId)}]`;
    if (!isValidUserId(userId)) throw invalidParam(`${userField}: not a user id`);
    out.set(userId, read(value, userField));
  }
  return out;
}

function readDeviceList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((d) => typeof d === "string")) throw badJson(`${field}: must be a list of device ids`);
  return value as string[];
}

function readAlgorithms(value: unknown, field: string): Record<string, string> {
  if (!isJsonObject(value)) throw badJson(`${field}: must map device ids to algorithms`);
  for (const [deviceId, algorithm] of Object.entries(value)) {
    if (typeof algorithm !== "string" || algorithm === "") throw badJson(`${field}[${JSON.stringify(deviceId)}]: must be an algorithm name`);
  }
  return value as Record<string, string>;
}

function readTimeout(body: unknown): number {
  const timeout = isJsonObject(body) ? body.timeout : undefined;
  if (timeout === undefined) return DEFAULT_REMOTE_TIMEOUT_MS;
  if (typeof timeout !== "number" || !Number.isSafeInteger(timeout) || timeout < 0) throw badJson("timeout: must be a non-negative integer");
  return Math.min(timeout, MAX_REMOTE_TIMEOUT_MS);
}

/** The `failures` entry for a server that could not answer. */
function failureOf(e: unknown): JsonObject {
  if (e instanceof RemoteError) return { status: e.status, message: e.message };
  return { status: 503, message: errorMessage(e) };
}

/** The parts of a `user/keys/query` answer that are about the users asked for. */
function readQueryAnswer(answer: unknown, users: readonly string[]): Map<string, UserKeys> {
  const out = new Map<string, UserKeys>();
  if (!isJsonObject(answer)) return out;
  const deviceKeys = isJsonObject(answer.device_keys) ? answer.device_keys : {};
  const masters = isJsonObject(answer.master_keys) ? answer.master_keys : {};
  const selfSigning = isJsonObject(answer.self_signing_keys) ? answer.self_signing_keys : {};
  for (const userId of users) {
    const devices: Record<string, JsonObject> = {};
    const given = Object.hasOwn(deviceKeys, userId) ? deviceKeys[userId] : undefined;
    if (isJsonObject(given)) {
      for (const [deviceId, keys] of Object.entries(given)) {
        if (isJsonObject(keys) && keys.user_id === userId && keys.device_id === deviceId) devices[deviceId] = keys;
      }
    }
    const keys: UserKeys = { devices };
    const master = Object.hasOwn(masters, userId) ? masters[userId] : undefined;
    if (isJsonObject(master) && master.user_id === userId) keys.masterKey = master;
    const ssk = Object.hasOwn(selfSigning, userId) ? selfSigning[userId] : undefined;
    if (isJsonObject(ssk) && ssk.user_id === userId) keys.selfSigningKey = ssk;
    out.set(userId, keys);
  }
  return out;
}

/** The parts of a `user/keys/claim` answer that are about the devices asked for. */
function readClaimAnswer(answer: unknown, users: Map<string, Record<string, string>>): Map<string, Record<string, Record<string, JsonObject | string>>> {
  const out = new Map<string, Record<string, Record<string, JsonObject | string>>>();
  const claimed = isJsonObject(answer) && isJsonObject(answer.one_time_keys) ? answer.one_time_keys : {};
  for (const [userId, devices] of users) {
    const given = Object.hasOwn(claimed, userId) ? claimed[userId] : undefined;
    if (!isJsonObject(given)) continue;
    const keys: Record<string, Record<string, JsonObject | string>> = {};
    for (const deviceId of Object.keys(devices)) {
      const key = Object.hasOwn(given, deviceId) ? given[deviceId] : undefined;
      if (isJsonObject(key)) keys[deviceId] = key as Record<string, JsonObject | string>;
    }
    if (Object.keys(keys).length > 0) out.set(userId, keys);
  }
  return out;
}
