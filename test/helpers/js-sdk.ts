/**
 * matrix-js-sdk clients for tests: quiet logging, and a client started against a test server
 * (the SDK's own /sync loop, resolved once the first sync is prepared), with its Rust crypto
 * (WebAssembly, in-memory store) when asked.
 */
import { ClientEvent, createClient, type ICreateClientOpts, type MatrixClient } from "matrix-js-sdk";
import { logger as globalLogger, type Logger } from "matrix-js-sdk/lib/logger.js";
import type { Session } from "./client";

// The SDK logs through its global logger too (a loglevel logger); keep test output readable.
(globalLogger as typeof globalLogger & { setLevel(level: "silent"): void }).setLevel("silent");
export const quietLogger: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, getChild: () => quietLogger };

export interface SdkClientOptions {
  /** Start the Rust crypto (in memory) before syncing. */
  crypto?: boolean;
  cryptoCallbacks?: ICreateClientOpts["cryptoCallbacks"];
}

export async function startSdkClient(baseUrl: string, session: Session, opts: SdkClientOptions = {}): Promise<MatrixClient> {
  const client = createClient({
    baseUrl,
    accessToken: session.access_token,
    userId: session.user_id,
    deviceId: session.device_id,
    logger: quietLogger,
    cryptoCallbacks: opts.cryptoCallbacks,
  });
  if (opts.crypto) await client.initRustCrypto({ useIndexedDB: false });
  const prepared = new Promise<void>((resolve, reject) => {
    client.on(ClientEvent.Sync, (state, _prev, data) => {
      if (state === "PREPARED") resolve();
      if (state === "ERROR") reject(data?.error ?? new Error("sync error"));
    });
  });
  await client.startClient({ initialSyncLimit: 20 });
  await prepared;
  return client;
}
