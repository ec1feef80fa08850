/**
 * Homeservers that federate with each other on loopback over real TLS. Each gets a server name
 * `127.0.0.1:PORT` (the port is picked first, since the name contains it), a certificate from a
 * test CA, `ip_range_denylist = []` (loopback is denied by default) and that CA as extra trust.
 * `startFederatedServer` runs the real server process; `startInProcessServer` builds the same
 * services and app inside the test, so a test can drive its federation client directly.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, serve } from "../../src/api/app";
import { loadConfig } from "../../src/config";
import { buildServices, type Services } from "../../src/services";
import { systemClock } from "../../src/runtime/clock";
import { createLogger } from "../../src/runtime/logger";
import { createStorage, openDatabase } from "../../src/storage";
import { createStateResPool } from "../../src/workers/state-res/pool";
import { createFederationSender, type FederationSender } from "../../src/workers/federation-sender/sender";
import { loadOrCreateSigningKey } from "../../src/services/federation/keys/signing-key";
import type { SigningKey } from "../../src/core";
import { startServer, type TestServer } from "./server";
import { registerUser, trustTestCa, type Session } from "./client";
import { publicRoomWith } from "./federated-rooms";
import { createTestCa, type LeafCert, type TestCa } from "./tls";
import { createThumbnailer } from "../../src/workers/thumbnailer/pool";

/** A port that was free a moment ago. */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

export interface FederationSetup {
  ca: TestCa;
  cert: LeafCert;
}

/** Settings every federating test server shares, as CONDUIT_* variables. */
function federationEnv(setup: FederationSetup, port: number, extra: Record<string, string>, namePort = port): Record<string, string> {
  return {
    CONDUIT_SERVER_NAME: `127.0.0.1:${namePort}`,
    CONDUIT_PORT: String(port),
    CONDUIT_TLS_CERTS: setup.cert.certPath,
    CONDUIT_TLS_KEY: setup.cert.keyPath,
    CONDUIT_FEDERATION_TLS_CA: setup.ca.caCertPath,
    CONDUIT_IP_RANGE_DENYLIST: "[]",
    CONDUIT_TRUSTED_SERVERS: "[]",
    ...extra,
  };
}

export interface FederatedServer extends TestServer {
  serverName: string;
  /** `fetch` against this server, trusting the test CA. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

function trustingFetch(baseUrl: string, caPem: string) {
  return (path: string, init: RequestInit = {}) => fetch(`${baseUrl}${path}`, { ...init, tls: { ca: caPem } });
}

export async function startFederatedServer(
  setup: FederationSetup,
  opts: {
    env?: Record<string, string>;
    dataDir?: string;
    port?: number;
    /** Name the server after another port (a relay in front of it) instead of its own. */
    namePort?: number;
  } = {},
): Promise<FederatedServer> {
  const port = opts.port ?? freePort();
  const namePort = opts.namePort ?? port;
  const server = await startServer({ env: federationEnv(setup, port, opts.env ?? {}, namePort), dataDir: opts.dataDir });
  return { ...server, serverName: `127.0.0.1:${namePort}`, fetch: trustingFetch(server.baseUrl, setup.ca.caCert) };
}

/**
 * A federated server behind a TLS relay that carries its name: each request is passed on unless
 * `intercept` answers it itself (as an older or failing server would); `passed` hears the status
 * of each request passed on. `relay.stop(true)` makes the server unreachable.
 */
export async function startRelayedServer(
  setup: FederationSetup,
  intercept: (url: URL, req: Request) => Response | undefined,
  passed?: (url: URL, status: number) => void,
): Promise<{ server: FederatedServer; relay: ReturnType<typeof Bun.serve> }> {
  const relayPort = freePort();
  const server = await startFederatedServer(setup, { namePort: relayPort });
  const relay = Bun.serve({
    hostname: "127.0.0.1",
    port: relayPort,
    tls: { cert: Bun.file(setup.cert.certPath), key: Bun.file(setup.cert.keyPath) },
    async fetch(req) {
      const url = new URL(req.url);
      const answer = intercept(url, req);
      if (answer) return answer;
      const headers = new Headers(req.headers);
      headers.delete("host");
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const res = await fetch(`${server.baseUrl}${url.pathname}${url.search}`, { method: req.method, headers, body, tls: { ca: setup.ca.caCert } });
      passed?.(url, res.status);
      return new Response(await res.arrayBuffer(), { status: res.status, headers: { "content-type": "application/json" } });
    },
  });
  return { server, relay };
}

export interface InProcessServer {
  serverName: string;
  baseUrl: string;
  dataDir: string;
  services: Services;
  /** The sender worker's queue (`services.federation.outbound`), with its delivery reports. */
  sender: FederationSender;
  signingKey: SigningKey;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Stops listening; the services (and their federation client) stay usable. */
  stopListening(): Promise<void>;
  /** Listens again on the same port (after `stopListening`). */
  startListening(): void;
  /** Stops the sender worker, closes the database, and removes the data unless `keepData`. */
  close(opts?: { keepData?: boolean }): Promise<void>;
}

export interface InProcessOptions {
  env?: Record<string, string>;
  /** Give the server a state resolution worker pool, as main.ts does. */
  stateResPool?: boolean;
  /** Reuse a data directory and port: the same server, restarted. */
  dataDir?: string;
  port?: number;
}

const senderWorkerUrl = new URL("../../src/workers/federation-sender/federation-sender.worker.ts", import.meta.url);

export async function startInProcessServer(setup: FederationSetup, opts: InProcessOptions = {}): Promise<InProcessServer> {
  const port = opts.port ?? freePort();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "conduit-inproc-"));
  const config = await loadConfig({ env: { ...federationEnv(setup, port, opts.env ?? {}), CONDUIT_DATABASE_PATH: dataDir } });
  const databaseFile = join(dataDir, "conduit.db");
  const storage = createStorage(openDatabase(databaseFile));
  const stateResPool = opts.stateResPool ? createStateResPool() : undefined;
  const log = createLogger("error");
  const signingKey = loadOrCreateSigningKey(storage, systemClock);
  const worker = { start: () => new Worker(senderWorkerUrl), databaseFile };
  const sender = createFederationSender({ config, storage, clock: systemClock, log, signingKey, worker });
  const services = buildServices({ config, storage, clock: systemClock, log, signingKey, outbound: sender, stateResolver: stateResPool, thumbnailer: createThumbnailer() });
  const tls = { cert: await Bun.file(setup.cert.certPath).text(), key: await Bun.file(setup.cert.keyPath).text() };
  const app = createApp(services);
  let server: ReturnType<typeof serve> | undefined;
  const startListening = () => {
    server = serve(app, { hostname: "127.0.0.1", port, maxRequestBodySize: config.max_request_size, tls });
  };
  const stopListening = async () => {
    await server?.stop(true);
    server = undefined;
  };
  startListening();
  return {
    serverName: config.server_name,
    baseUrl: `https://127.0.0.1:${port}`,
    dataDir,
    services,
    sender,
    signingKey,
    fetch: trustingFetch(`https://127.0.0.1:${port}`, setup.ca.caCert),
    stopListening,
    startListening,
    async close({ keepData = false } = {}) {
      // Let requests in flight finish before the database goes away.
      await server?.stop(false);
      server = undefined;
      await sender.stop();
      stateResPool?.close();
      storage.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A real server A and an in-process server C over TLS with a fresh test CA, and a public room of
 * A's user that C's user has joined: the starting point of tests where C plays the other server.
 */
export interface RoomWithInProcessGuest {
  a: FederatedServer;
  c: InProcessServer;
  owner: Session;
  guest: Session;
  roomId: string;
  close(): Promise<void>;
}

export async function startRoomWithInProcessGuest(
  names: { owner: string; guest: string },
  roomExtra: Record<string, unknown> = {},
): Promise<RoomWithInProcessGuest> {
  const ca = createTestCa();
  const setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  const [a, c] = await Promise.all([startFederatedServer(setup), startInProcessServer(setup)]);
  const [owner, guest] = await Promise.all([registerUser(a.baseUrl, names.owner), registerUser(c.baseUrl, names.guest)]);
  const roomId = await publicRoomWith(a, owner, c, guest, roomExtra);
  return {
    a,
    c,
    owner,
    guest,
    roomId,
    async close() {
      await c.close();
      await a.stop();
      ca.remove();
    },
  };
}

/** Two real servers A and B over TLS with a fresh test CA, and one registered user on each. */
export interface FederatedPair {
  setup: FederationSetup;
  a: FederatedServer;
  b: FederatedServer;
  userA: Session;
  userB: Session;
  close(): Promise<void>;
}

export async function startFederatedPair(
  names: { a: string; b: string },
  env: { a?: Record<string, string>; b?: Record<string, string> } = {},
): Promise<FederatedPair> {
  const ca = createTestCa();
  const setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  const [a, b] = await Promise.all([startFederatedServer(setup, { env: env.a }), startFederatedServer(setup, { env: env.b })]);
  const [userA, userB] = await Promise.all([registerUser(a.baseUrl, names.a), registerUser(b.baseUrl, names.b)]);
  return {
    setup,
    a,
    b,
    userA,
    userB,
    async close() {
      await Promise.all([a.stop(), b.stop()]);
      ca.remove();
    },
  };
}
