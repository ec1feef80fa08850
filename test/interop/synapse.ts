/**
 * Runs a real Synapse (the reference homeserver, installed by `scripts/synapse/install.sh` into
 * `.interop/venv`) on loopback for the interoperability tests: server name `127.0.0.1:PORT`, a TLS
 * listener with a certificate from the test CA, that CA as its only extra trust for outbound
 * federation, loopback allowed as a federation target, no trusted key servers, rate limits out of
 * the way. Its config, signing key, database and media live in a temp directory made at test time.
 * Users are registered through the admin API with the shared secret (HMAC), as `register_new_matrix_user` does.
 */
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { encodeBase64, generateSigningSeed, publicKeyFromSeed } from "../../src/core";
import { freePort, type FederationSetup } from "../helpers/federation";

const root = join(import.meta.dir, "..", "..");

/** The virtualenv's Python, or `SYNAPSE_PYTHON` when set. */
export const synapsePython = process.env.SYNAPSE_PYTHON ?? join(root, ".interop", "venv", "bin", "python");

/** The installed Synapse version, or undefined when it is not installed. */
export function installedSynapseVersion(): string | undefined {
  if (!existsSync(synapsePython)) return undefined;
  const run = Bun.spawnSync([synapsePython, "-c", "import importlib.metadata as m; print(m.version('matrix-synapse'))"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  return run.exitCode === 0 ? run.stdout.toString().trim() : undefined;
}

export interface SynapseUser {
  user_id: string;
  access_token: string;
  device_id: string;
}

export interface Synapse {
  serverName: string;
  baseUrl: string;
  dir: string;
  /** The ed25519 key id and public key Synapse signs with (we wrote its key file). */
  keyId: string;
  publicKey: string;
  /** Every line Synapse logged so far. */
  output: string[];
  /** Log lines matching `pattern`, for reports of what Synapse thought. */
  logLines(pattern: RegExp): string[];
  /** `fetch` against Synapse, trusting the test CA. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** A client-server API call as `user`, returning the status and the parsed body. */
  api(method: string, path: string, opts?: { token?: string; body?: unknown }): Promise<{ status: number; body: Record<string, unknown> }>;
  registerUser(localpart: string, opts?: { admin?: boolean }): Promise<SynapseUser>;
  stop(): Promise<void>;
}

/** Large enough that no test ever meets a limit. */
const unlimited = { per_second: 10_000, burst_count: 100_000 };

function homeserverConfig(o: { serverName: string; port: number; dir: string; setup: FederationSetup; sharedSecret: string }): object {
  return {
    server_name: o.serverName,
    pid_file: join(o.dir, "homeserver.pid"),
    report_stats: false,
    listeners: [
      {
        port: o.port,
        bind_addresses: ["127.0.0.1"],
        type: "http",
        tls: true,
        x_forwarded: false,
        resources: [{ names: ["client", "federation", "keys", "media"], compress: false }],
      },
    ],
    tls_certificate_path: o.setup.cert.certPath,
    tls_private_key_path: o.setup.cert.keyPath,
    // Outbound federation trusts the test CA, checks certificates, and may reach loopback. Synapse
    // checks IP-literal server names against the federation blocklist alone (its allowlist does not
    // apply there), so that list is emptied; the allowlist covers its other HTTP clients.
    federation_verify_certificates: true,
    federation_custom_ca_list: [o.setup.ca.caCertPath],
    federation_ip_range_blacklist: [],
    ip_range_whitelist: ["127.0.0.0/8"],
    // Keys come from the servers themselves: there is no notary on this network.
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    signing_key_path: join(o.dir, "signing.key"),
    database: { name: "sqlite3", args: { database: join(o.dir, "homeserver.db") } },
    media_store_path: join(o.dir, "media"),
    enable_registration: false,
    registration_shared_secret: o.sharedSecret,
    macaroon_secret_key: randomBytes(24).toString("hex"),
    form_secret: randomBytes(24).toString("hex"),
    enable_metrics: false,
    url_preview_enabled: false,
    rc_message: unlimited,
    rc_registration: unlimited,
    rc_login: { address: unlimited, account: unlimited, failed_attempts: unlimited },
    rc_joins: { local: unlimited, remote: unlimited },
    rc_joins_per_room: unlimited,
    rc_invites: { per_room: unlimited, per_user: unlimited, per_issuer: unlimited },
    rc_room_creation: unlimited,
    rc_presence: { per_user: unlimited },
    rc_profile: unlimited,
    rc_federation: { window_size: 1000, sleep_limit: 10_000, sleep_delay: 0, reject_limit: 10_000, concurrent: 100 },
  };
}

/** Synapse's key file format: `ed25519 <version> <unpadded base64 seed>`. */
function writeSigningKey(path: string): { keyId: string; publicKey: string } {
  const seed = generateSigningSeed();
  const version = `a_${randomBytes(3).toString("hex").slice(0, 4)}`;
  writeFileSync(path, `ed25519 ${version} ${encodeBase64(seed)}\n`);
  return { keyId: `ed25519:${version}`, publicKey: encodeBase64(publicKeyFromSeed(seed)) };
}

const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;

export async function startSynapse(setup: FederationSetup): Promise<Synapse> {
  const port = freePort();
  const serverName = `127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "conduit-synapse-"));
  mkdirSync(join(dir, "media"));
  const sharedSecret = randomBytes(24).toString("hex");
  const { keyId, publicKey } = writeSigningKey(join(dir, "signing.key"));
  // JSON is YAML: Synapse reads this file as its homeserver.yaml.
  const configPath = join(dir, "homeserver.yaml");
  writeFileSync(configPath, JSON.stringify(homeserverConfig({ serverName, port, dir, setup, sharedSecret }), null, 2));

  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([synapsePython, "-m", "synapse.app.homeserver", "-c", configPath], {
    cwd: dir,
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const output: string[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      output.push(...lines);
    }
  };
  void collect(proc.stdout);
  void collect(proc.stderr);

  const baseUrl = `https://127.0.0.1:${port}`;
  const trustingFetch = (path: string, init: RequestInit = {}) => fetch(`${baseUrl}${path}`, { ...init, tls: { ca: setup.ca.caCert } });

  async function stop(): Promise<void> {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await proc.exited;
      clearTimeout(timer);
    }
    if (!process.env.KEEP_SYNAPSE_DIR) rmSync(dir, { recursive: true, force: true });
  }

  // Ready once the TLS listener answers /health.
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`Synapse exited with ${proc.exitCode} while starting:\n${output.slice(-40).join("\n")}`);
    }
    const ok = await trustingFetch("/health").then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Synapse did not start within ${START_TIMEOUT_MS / 1000}s:\n${output.slice(-40).join("\n")}`);
    }
    await Bun.sleep(250);
  }

  async function api(method: string, path: string, opts: { token?: string; body?: unknown } = {}) {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    const res = await trustingFetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { raw: text };
    }
    return { status: res.status, body };
  }

  return {
    serverName,
    baseUrl,
    dir,
    keyId,
    publicKey,
    output,
    logLines: (pattern) => output.filter((line) => pattern.test(line)),
    fetch: trustingFetch,
    api,
    async registerUser(localpart, { admin = false } = {}) {
      const { body: nonceBody } = await api("GET", "/_synapse/admin/v1/register");
      const nonce = nonceBody.nonce as string;
      const password = randomBytes(12).toString("hex");
      const mac = createHmac("sha1", sharedSecret)
        .update([nonce, localpart, password, admin ? "admin" : "notadmin"].join("\0"))
        .digest("hex");
      const res = await api("POST", "/_synapse/admin/v1/register", { body: { nonce, username: localpart, password, admin, mac } });
      if (res.status !== 200) throw new Error(`Synapse refused to register ${localpart}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as unknown as SynapseUser;
    },
    stop,
  };
}
