/**
 * matrix-js-sdk clients for tests: quiet logging, and a client started against a test server
 * (the SDK's own /sync loop, resolved once the first sync is prepared), with its Rust crypto
 * (WebAssembly, in-memory store) when asked.
 */
import { ClientEvent, createClient, MatrixEventEvent, RoomEvent, type ICreateClientOpts, type MatrixClient, type MatrixEvent } from "matrix-js-sdk";
import { logger as globalLogger, type Logger } from "matrix-js-sdk/lib/logger.js";
import type { Session } from "./client";

// The SDK logs through its global logger too (a loglevel logger); keep test output readable.
(globalLogger as typeof globalLogger & { setLevel(level: "silent"): void }).setLevel("silent");
export const quietLogger: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, getChild: () => quietLogger };

export interface SdkClientOptions {
  /** Start the Rust crypto (in memory) before syncing. */
  crypto?: boolean;
  cryptoCallbacks?: ICreateClientOpts["cryptoCallbacks"];
  /** A CA to trust for an HTTPS server (the federation tests' test CA). */
  ca?: string;
  /** Start with the SDK's thread support on (threads from /threads and bundled m.thread). */
  threadSupport?: boolean;
}

/** `fetch` that trusts `ca` as well. */
function trusting(ca: string): typeof fetch {
  const trustingFetch = (input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, tls: { ca } });
  return Object.assign(trustingFetch, { preconnect: fetch.preconnect });
}

export async function startSdkClient(baseUrl: string, session: Session, opts: SdkClientOptions = {}): Promise<MatrixClient> {
  const client = createClient({
    baseUrl,
    accessToken: session.access_token,
    userId: session.user_id,
    deviceId: session.device_id,
    logger: quietLogger,
    cryptoCallbacks: opts.cryptoCallbacks,
    fetchFn: opts.ca === undefined ? undefined : trusting(opts.ca),
  });
  if (opts.crypto) await client.initRustCrypto({ useIndexedDB: false });
  const prepared = new Promise<void>((resolve, reject) => {
    client.on(ClientEvent.Sync, (state, _prev, data) => {
      if (state === "PREPARED") resolve();
      if (state === "ERROR") reject(data?.error ?? new Error("sync error"));
    });
  });
  await client.startClient({ initialSyncLimit: 20, threadSupport: opts.threadSupport });
  await prepared;
  return client;
}

const WAIT_MS = 20_000;

/** Resolves once `check` passes, re-checking whenever `client` emits one of `events`. */
export function until<T>(client: MatrixClient, events: string[], check: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const emitter = client as unknown as { on(e: string, f: () => void): void; off(e: string, f: () => void): void };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${what}: not seen within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const stop = () => {
      clearTimeout(timer);
      for (const e of events) emitter.off(e, attempt);
    };
    let done = false;
    const attempt = () => {
      void Promise.resolve(check()).then((value) => {
        if (done || value === undefined) return;
        done = true;
        stop();
        resolve(value);
      }, reject);
    };
    for (const e of events) emitter.on(e, attempt);
    attempt();
  });
}

/** The decrypted text of a message with `body` in the room's live timeline, once it decrypts. */
export function decrypted(client: MatrixClient, roomId: string, body: string): Promise<MatrixEvent> {
  const find = () =>
    client
      .getRoom(roomId)
      ?.getLiveTimeline()
      .getEvents()
      .find((e) => e.getWireType() === "m.room.encrypted" && !e.isDecryptionFailure() && e.getContent().body === body);
  return until(client, [RoomEvent.Timeline, MatrixEventEvent.Decrypted], find, `${client.getDeviceId()} decrypting "${body}"`);
}
