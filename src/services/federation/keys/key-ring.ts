/**
 * Other servers' signing keys, as the federation needs them: a key is looked up in memory, then
 * in the database, and fetched when missing or no longer valid for the moment in question —
 * first from the server itself, then through each of `trusted_servers` as notaries. Fetches for
 * one server are shared by concurrent callers and, after a miss, not retried for a short while.
 * The same store answers `/_matrix/key/v2/query` when another server uses us as its notary.
 */
import {
  errorMessage,
  isJsonObject,
  publicKeyFromSeed,
  signJson,
  usableAt,
  verifyJsonSignature,
  type JsonObject,
  type KnownKey,
  type SigningKey,
} from "../../../core";
import type { Storage } from "../../../storage";
import type { Clock } from "../../../runtime/clock";
import type { Logger } from "../../../runtime/logger";
import type { FederationClient } from "../../../net/federation-client";
import type { KeyDocumentRow } from "../../../storage/remote-keys";
import { buildOwnKeyDocument, decodePublicKey, readRemoteKeyDocument } from "./key-documents";

export type { KnownKey } from "../../../core";

/** After a fetch that did not produce the wanted key, wait this long before asking again. */
const REFETCH_AFTER_MISS_MS = 10_000;
const KEY_FETCH_TIMEOUT_MS = 15_000;
const KEY_RESPONSE_MAX_BYTES = 1024 * 1024;
/** Servers one notary query may name; more is a request to do unbounded work for someone. */
const MAX_NOTARY_SERVERS = 100;


/**
 * One server of a notary query: the keys asked about (none: all we know of) and how long the
 * answer must stay valid (without a minimum, the current time).
 */
export interface KeyQuery {
  serverName: string;
  keyIds?: readonly string[];
  minimumValidUntilTs?: number;
}

export interface KeyRingDeps {
  serverName: string;
  signingKey: SigningKey;
  storage: Storage;
  client: FederationClient;
  trustedServers: readonly string[];
  clock: Clock;
  log: Logger;
}

export interface KeyRing {
  /**
   * The public key `keyId` of `serverName`, if it may be trusted for something signed at
   * `validAt` (undefined: at any time, as room versions 1-4 ask). Fetches it when needed.
   */
  getVerifyKey(serverName: string, keyId: string, validAt?: number): Promise<Uint8Array | null>;
  /** What is known of a key right now, without asking anyone (ours included). */
  knownKey(serverName: string, keyId: string): KnownKey | null;
  /** True when `object` carries a valid signature by `serverName` made at `validAt`. */
  verifySignedBy(object: JsonObject, serverName: string, validAt?: number): Promise<boolean>;
  /** Our own key document, freshly signed. */
  ownKeyDocument(): JsonObject;
  /** Key documents for a notary query, each countersigned by us. */
  queryKeys(queries: readonly KeyQuery[]): Promise<JsonObject[]>;
}

export function createKeyRing(deps: KeyRingDeps): KeyRing {
  const { storage, clock, log } = deps;
  const memory = new Map<string, KnownKey>();
  const inflight = new Map<string, Promise<void>>();
  const lastMiss = new Map<string, number>();

  // Our keys change only while the server is stopped (rotation), so they are read once.
  const ownKeys = storage.serverKeys.allKeys().map((r) => {
    return { keyId: r.key_id, expiredTs: r.expired_ts, publicKey: publicKeyFromSeed(new Uint8Array(r.seed)) };
  });

  function ownKeyDocument(): JsonObject {
    return buildOwnKeyDocument(deps.serverName, ownKeys, deps.signingKey, clock.now());
  }

  function known(serverName: string, keyId: string): KnownKey | null {
    const id = `${serverName}\u0000${keyId}`;
    const cached = memory.get(id);
    if (cached) return cached;
    const row = storage.remoteKeys.getKey(serverName, keyId);
    const key = row ? decodePublicKey(row.public_key) : null;
    if (!row || !key) return null;
    if (memory.size >= 10_000) memory.clear();
    const entry = { key, validUntilTs: row.valid_until_ts, expiredTs: row.expired_ts };
    memory.set(id, entry);
    return entry;
  }

  function store(value: unknown, serverName: string, source: string): boolean {
    const result = readRemoteKeyDocument(value, serverName, clock.now());
    if (!result.ok) {
      log.warn("refused a server key document", { server: serverName, from: source, reason: result.reason });
      return false;
    }
    storage.remoteKeys.storeDocument(result.doc);
    for (const k of [...result.doc.current, ...result.doc.old]) memory.delete(`${serverName}\u0000${k.keyId}`);
    return true;
  }

  async function fetchDirect(serverName: string): Promise<boolean> {
    try {
      const doc = await deps.client.request(serverName, {
        method: "GET",
        path: "/_matrix/key/v2/server",
        signed: false,
        maxBytes: KEY_RESPONSE_MAX_BYTES,
        timeoutMs: KEY_FETCH_TIMEOUT_MS,
      });
      return store(doc, serverName, serverName);
    } catch (e) {
      log.debug("direct key fetch failed", { server: serverName, error: errorMessage(e) });
      return false;
    }
  }

  async function fetchViaNotary(notary: string, serverName: string, keyId: string, minValid: number): Promise<void> {
    let answer: unknown;
    try {
      answer = await deps.client.request(notary, {
        method: "POST",
        path: "/_matrix/key/v2/query",
        body: { server_keys: { [serverName]: { [keyId]: { minimum_valid_until_ts: minValid } } } },
        maxBytes: KEY_RESPONSE_MAX_BYTES,
        timeoutMs: KEY_FETCH_TIMEOUT_MS,
      });
    } catch (e) {
      log.debug("notary key query failed", { notary, server: serverName, error: errorMessage(e) });
      return;
    }
    const docs = isJsonObject(answer) && Array.isArray(answer.server_keys) ? answer.server_keys : [];
    for (const doc of docs) {
      if (!isJsonObject(doc) || doc.server_name !== serverName) continue;
      // The notary vouches with its own key, which we only take from the notary itself.
      if (!(await verifySignedBy(doc, notary, clock.now(), true))) {
        log.warn("notary answer not signed by the notary", { notary, server: serverName });
        continue;
      }
      store(doc, serverName, notary);
    }
  }

  /** Fetches `serverName`'s keys once for all concurrent callers. */
  function refresh(serverName: string, keyId: string, validAt: number | undefined, directOnly: boolean): Promise<void> {
    const running = inflight.get(serverName);
    if (running) return running;
    const missedAt = lastMiss.get(serverName);
    if (missedAt !== undefined && clock.now() - missedAt < REFETCH_AFTER_MISS_MS) return Promise.resolve();
    const task = (async () => {
      await fetchDirect(serverName);
      const wanted = () => {
        const k = known(serverName, keyId);
        return k !== null && usableAt(k, validAt);
      };
      if (!directOnly) {
        const notaries = deps.trustedServers.filter((s) => s !== serverName && s !== deps.serverName);
        for (const notary of notaries) {
          if (wanted()) break;
          await fetchViaNotary(notary, serverName, keyId, validAt ?? clock.now());
        }
      }
      if (wanted()) lastMiss.delete(serverName);
      else lastMiss.set(serverName, clock.now());
    })().finally(() => inflight.delete(serverName));
    inflight.set(serverName, task);
    return task;
  }

  /** Our own keys: current ones valid now and always, retired ones for what they signed before. */
  function ownKey(keyId: string): KnownKey | null {
    const own = ownKeys.find((k) => k.keyId === keyId);
    return own ? { key: own.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER, expiredTs: own.expiredTs } : null;
  }

  async function getKey(serverName: string, keyId: string, validAt: number | undefined, directOnly: boolean) {
    if (serverName === deps.serverName) {
      const own = ownKey(keyId);
      return own && usableAt(own, validAt) ? own.key : null;
    }
    const cached = known(serverName, keyId);
    if (cached && usableAt(cached, validAt)) return cached.key;
    await refresh(serverName, keyId, validAt, directOnly);
    const fresh = known(serverName, keyId);
    return fresh && usableAt(fresh, validAt) ? fresh.key : null;
  }

  async function verifySignedBy(object: JsonObject, serverName: string, validAt?: number, directOnly = false): Promise<boolean> {
    const signatures = object.signatures;
    if (!isJsonObject(signatures)) return false;
    const byServer = signatures[serverName];
    if (!isJsonObject(byServer)) return false;
    for (const keyId of Object.keys(byServer)) {
      if (!keyId.startsWith("ed25519:")) continue;
      const key = await getKey(serverName, keyId, validAt, directOnly);
      if (key && verifyJsonSignature(object, serverName, keyId, key)) return true;
    }
    return false;
  }

  /** The stored documents listing the asked keys (every key when none is named). */
  function storedDocuments(serverName: string, keyIds: readonly string[]): KeyDocumentRow[] {
    if (keyIds.length === 0) return storage.remoteKeys.getDocuments(serverName);
    return keyIds.flatMap((id) => storage.remoteKeys.getDocumentForKey(serverName, id) ?? []);
  }

  /**
   * A notary answer for one server, countersigned: the documents that listed the asked keys,
   * fetched again first when one is missing or not valid long enough. When the server cannot be
   * reached (or no longer lists a key), its last answer still lets others check old events.
   */
  async function documentsFor(query: KeyQuery): Promise<JsonObject[]> {
    if (query.serverName === deps.serverName) return [ownKeyDocument()];
    const keyIds = [...new Set(query.keyIds ?? [])];
    const minValid = query.minimumValidUntilTs ?? clock.now();
    let rows = storedDocuments(query.serverName, keyIds);
    const complete = rows.length > 0 && (keyIds.length === 0 || rows.length === keyIds.length);
    if (!complete || rows.some((r) => r.valid_until_ts < minValid)) {
      await fetchDirect(query.serverName);
      rows = storedDocuments(query.serverName, keyIds);
    }
    const distinct = [...new Set(rows.map((r) => r.document))];
    return distinct.map((text) => signJson(JSON.parse(text) as JsonObject, deps.serverName, deps.signingKey.keyId, deps.signingKey.seed));
  }

  return {
    getVerifyKey: (serverName, keyId, validAt) => getKey(serverName, keyId, validAt, false),
    knownKey: (serverName, keyId) => (serverName === deps.serverName ? ownKey(keyId) : known(serverName, keyId)),
    verifySignedBy: (object, serverName, validAt) => verifySignedBy(object, serverName, validAt),
    ownKeyDocument,
    async queryKeys(queries) {
      const docs = await Promise.all(queries.slice(0, MAX_NOTARY_SERVERS).map(documentsFor));
      return docs.flat();
    },
  };
}
