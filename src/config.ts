/**
 * Configuration: the only reader of the TOML file and of `process.env`. The file format is Conduit's
 * (`[global]` table, `CONDUIT_CONFIG=/path/conduit.toml`), so an operator's existing file loads as is
 * (apart from `database_backend`). `CONDUIT_<KEY>` variables override file values, with Conduit's
 * convention for sub-tables: `CONDUIT_WELL_KNOWN_CLIENT` sets `[global.well_known] client`.
 * Every problem becomes a `ConfigError` whose message is one sentence naming the key.
 */
import { isIP } from "node:net";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { Type as T, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { parse as parseYaml } from "yaml";
import { checkRegistration, registrationClash, type Registration } from "./core/appservices/registration";
import { DEFAULT_ROOM_VERSION, isSupportedRoomVersion, roomVersions } from "./core/room-versions";

/** A bad config: main prints the message as one sentence and exits with status 1. */
export class ConfigError extends Error {}

const RateLimit = T.Object({
  /** Requests allowed per second, sustained. */
  per_second: T.Number({ exclusiveMinimum: 0 }),
  /** Requests allowed in a burst before the sustained rate applies. */
  burst: T.Integer({ minimum: 1 }),
});
export type RateLimitRule = Static<typeof RateLimit>;

const Retention = T.Object({
  scope: T.Optional(T.String()),
  accessed: T.Optional(T.String()),
  created: T.Optional(T.String()),
  space: T.Optional(T.String()),
});

/** `[global.media]`: Conduit's table (`path`, `directory_structure`, `retention`) and the limits on uploads. */
const MediaTable = T.Object({
  backend: T.String(),
  /** Where media files live; unset: `<database_path>/media`. */
  path: T.Optional(T.String({ minLength: 1 })),
  directory_structure: T.Object({ depth: T.Integer({ minimum: 0, maximum: 8 }), length: T.Integer({ minimum: 1, maximum: 8 }) }),
  retention: T.Array(Retention),
  /** Bytes each user's uploads may take ("1GB", or a number); unset: no quota. */
  user_quota: T.Optional(T.Union([T.Integer({ minimum: 0 }), T.String()])),
  /** Bytes all local uploads together may take; unset: no cap. */
  local_space_cap: T.Optional(T.Union([T.Integer({ minimum: 0 }), T.String()])),
  /** Ids from /create one user may have waiting for their upload. */
  max_pending_uploads: T.Integer({ minimum: 1 }),
  /** How long an id from /create waits for its upload ("24h"). */
  pending_upload_expiry: T.String(),
});

/**
 * One MatrixRTC transport (MSC4143) of `[global.matrix_rtc] foci`: its `type` and the properties
 * its transport defines, published as they are (LiveKit: `livekit_service_url`, the JWT service).
 */
const RtcFocus = T.Object({ type: T.String({ minLength: 1 }), livekit_service_url: T.Optional(T.String()) }, { additionalProperties: T.Unknown() });
export type RtcFocusConfig = Static<typeof RtcFocus>;

/** The `[global]` table: every key this server reads. */
export const ConfigSchema = T.Object({
  server_name: T.String({ minLength: 1 }),
  database_backend: T.String(),
  database_path: T.String({ minLength: 1 }),
  address: T.String({ minLength: 1 }),
  port: T.Integer({ minimum: 0, maximum: 65535 }),
  max_request_size: T.Integer({ minimum: 1024 }),
  allow_registration: T.Boolean(),
  registration_token: T.Optional(T.String()),
  /** Whether `POST /register?kind=guest` creates guest accounts (spec "Guest access"). */
  allow_guest_registration: T.Boolean(),
  allow_federation: T.Boolean(),
  /** Seconds a PDU or EDU may wait for a destination that keeps failing before it is dropped. */
  federation_queue_max_age: T.Integer({ minimum: 60 }),
  /** Items a failing destination's queue keeps at most (the oldest are dropped beyond). */
  federation_queue_max_size: T.Integer({ minimum: 100 }),
  /** Whether servers we share no room with may invite our users (false: 403 for their invites). */
  allow_invites_from_unshared_servers: T.Boolean(),
  allow_encryption: T.Boolean(),
  allow_room_creation: T.Boolean(),
  default_room_version: T.String(),
  trusted_servers: T.Array(T.String({ minLength: 1 })),
  /** Reverse proxies (IP addresses) whose `X-Forwarded-For` header names the client. */
  trusted_proxies: T.Array(T.String({ minLength: 1 })),
  log: T.String(),
  /** Size of the state-resolution worker pool; 0 means one per core. */
  state_res_workers: T.Integer({ minimum: 0, maximum: 64 }),
  /** Rooms whose head (extremities, current state group, joined members) stays in memory. */
  room_cache_capacity: T.Integer({ minimum: 1 }),
  /** SQLite's page cache of the main connection, in MB (Conduit's key). */
  db_cache_capacity_mb: T.Number({ minimum: 0.5 }),
  /** Memory the parsed events cache may take, in MB. */
  pdu_cache_capacity_mb: T.Number({ minimum: 0.5 }),
  /** Memory the room state cache may take, in MB. */
  state_cache_capacity_mb: T.Number({ minimum: 0.5 }),
  well_known: T.Object({ client: T.Optional(T.String()), server: T.Optional(T.String()) }),
  tls: T.Optional(T.Object({ certs: T.String({ minLength: 1 }), key: T.String({ minLength: 1 }) })),
  /** `[global.metrics]`: Prometheus `/metrics` on a listener of its own; off when absent. */
  metrics: T.Optional(T.Object({ address: T.String({ minLength: 1 }), port: T.Integer({ minimum: 0, maximum: 65535 }) })),
  /** Application service registration files (YAML), as Synapse lists them; read by `readAppserviceFiles`. */
  app_service_config_files: T.Array(T.String({ minLength: 1 })),
  /** CIDR ranges outbound federation and push gateways are never contacted at (SSRF guard); `[]` allows every address. */
  ip_range_denylist: T.Array(T.String()),
  /** A PEM file of extra certificate authorities trusted for outbound federation and push gateways, beside the system store. */
  federation_tls_ca: T.Optional(T.String()),
  /** Accept any certificate from remote servers: for isolated test networks only. */
  allow_invalid_tls_certificates: T.Boolean(),
  /** Largest upload in bytes; unset: `max_request_size`, as in Conduit. */
  max_upload_size: T.Optional(T.Integer({ minimum: 1 })),
  /** Pictures with more pixels are not thumbnailed (decompression bombs). */
  max_image_pixels: T.Integer({ minimum: 1 }),
  /** Serve the legacy unauthenticated media endpoints (`/_matrix/media/v3|r0/download|thumbnail|config|preview_url`). */
  allow_legacy_media: T.Boolean(),
  /** Media created before this RFC 3339 time stays reachable through the legacy endpoints. */
  legacy_media_freeze: T.Optional(T.String()),
  media: MediaTable,
  /** Answer `preview_url` (off by default, as in Synapse): the server fetches pages its users link. */
  url_preview_enabled: T.Boolean(),
  /** CIDR ranges previews may reach although denied (private, loopback, ip_range_denylist). */
  url_preview_ip_range_allowlist: T.Array(T.String()),
  /** Longest delay a delayed event (MSC4140) may ask for, in milliseconds. */
  max_delayed_event_delay_ms: T.Integer({ minimum: 1 }),
  /** Delayed events one user may have scheduled at once; 0 turns delayed events off. */
  max_delayed_events_per_user: T.Integer({ minimum: 0 }),
  /** MatrixRTC (Element Call): the transports clients are told about. */
  matrix_rtc: T.Object({ foci: T.Array(RtcFocus) }),
  /** TURN servers for VoIP (`/voip/turnServer`), with Conduit's keys. */
  turn_uris: T.Array(T.String({ minLength: 1 })),
  /** Shared secret of the TURN server's REST API (time-limited credentials); wins over username/password. */
  turn_secret: T.Optional(T.String({ minLength: 1 })),
  turn_username: T.Optional(T.String()),
  turn_password: T.Optional(T.String()),
  /** Seconds the credentials are valid for. */
  turn_ttl: T.Integer({ minimum: 1 }),
  /** The user directory finds every user this server knows, not only those sharing a room with the searcher or in a public room. */
  search_all_users: T.Boolean(),
  rate_limits: T.Object({
    enabled: T.Boolean(),
    login: RateLimit,
    failed_login: RateLimit,
    register: RateLimit,
    message: RateLimit,
    /** Reports of events, rooms and users, per user. */
    report: RateLimit,
    /** Wrong passwords for one account from any address (behind a proxy, addresses rotate). */
    failed_login_account: RateLimit,
    /** Rooms created, joins and invites sent, per user (as Synapse's rc_room_creation, rc_joins, rc_invites). */
    room_creation: RateLimit,
    join: RateLimit,
    invite: RateLimit,
  }),
});
export type Config = Static<typeof ConfigSchema> & {
  /** Where the configuration came from, for the start-up log. */
  source: string;
};

/** Conduit's keys that we accept for compatibility but that have no effect on this server. */
const acceptedConduitKeys = new Set([
  "allow_check_for_updates", "enable_lightning_bolt", "conduit_cache_capacity_modifier",
  "rocksdb_max_open_files", "pdu_cache_capacity", "cleanup_second_interval", "max_concurrent_requests",
  "max_fetch_prev_events", "openid_token_ttl", "allow_unstable_room_versions", "allow_jaeger", "tracing_flame",
  "proxy", "jwt_secret", "turn",
  "ignored_keys", "emergency_password", "workers",
]);

type Table = Record<string, unknown>;

/** Loopback, private, link-local, shared, multicast and documentation ranges (IPv4 and IPv6). */
export const DEFAULT_IP_RANGE_DENYLIST: readonly string[] = [
  "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
  "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
  "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "100::/64",
  "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
];

const defaults = (): Table => ({
  server_name: "localhost",
  database_backend: "sqlite",
  database_path: "./data",
  address: "127.0.0.1",
  port: 6167,
  max_request_size: 20_000_000,
  allow_guest_registration: false,
  allow_federation: true,
  federation_queue_max_age: 7 * 86_400,
  federation_queue_max_size: 50_000,
  allow_invites_from_unshared_servers: true,
  allow_encryption: true,
  allow_room_creation: true,
  default_room_version: DEFAULT_ROOM_VERSION,
  trusted_servers: ["matrix.org"],
  trusted_proxies: ["127.0.0.1", "::1"],
  ip_range_denylist: [...DEFAULT_IP_RANGE_DENYLIST],
  allow_invalid_tls_certificates: false,
  log: "info",
  state_res_workers: 0,
  room_cache_capacity: 500,
  db_cache_capacity_mb: 8,
  pdu_cache_capacity_mb: 16,
  state_cache_capacity_mb: 16,
  app_service_config_files: [],
  max_image_pixels: 32_000_000,
  allow_legacy_media: true,
  url_preview_enabled: false,
  url_preview_ip_range_allowlist: [],
  search_all_users: false,
  media: {
    backend: "filesystem",
    directory_structure: { depth: 2, length: 2 },
    retention: [],
    max_pending_uploads: 5,
    pending_upload_expiry: "24h",
  },
  well_known: {},
  max_delayed_event_delay_ms: 86_400_000,
  max_delayed_events_per_user: 100,
  matrix_rtc: { foci: [] },
  turn_uris: [],
  turn_ttl: 86_400,
  rate_limits: {
    enabled: true,
    login: { per_second: 0.5, burst: 10 },
    failed_login: { per_second: 0.1, burst: 5 },
    register: { per_second: 0.2, burst: 5 },
    message: { per_second: 10, burst: 50 },
    report: { per_second: 0.1, burst: 5 },
    failed_login_account: { per_second: 0.05, burst: 20 },
    room_creation: { per_second: 0.016, burst: 10 },
    join: { per_second: 0.1, burst: 10 },
    invite: { per_second: 0.3, burst: 10 },
  },
});

/**
 * Registration is open by default only for a server nobody else can reach: no config file and a
 * loopback address, so a first user can sign up at once. Anything else keeps it closed until the
 * operator opens it.
 */
function defaultAllowRegistration(noFile: boolean, address: unknown): boolean {
  return noFile && (address === "localhost" || address === "::1" || (typeof address === "string" && address.startsWith("127.")));
}

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function objectProperties(schema: TSchema | undefined): Record<string, TSchema> | undefined {
  return schema?.type === "object" ? (schema.properties as Record<string, TSchema>) : undefined;
}

/**
 * Finds which config path an environment key names, following the schema's tables:
 * `rate_limits_login_per_second` -> `["rate_limits", "login", "per_second"]`. Unknown names stay one
 * top-level key (so they are warned about like an unknown file key).
 */
function envPath(key: string, schema: TSchema): { path: string[]; leaf?: TSchema } {
  const props = objectProperties(schema);
  if (props) {
    if (key in props) return { path: [key], leaf: props[key] };
    for (const [name, sub] of Object.entries(props)) {
      if (!key.startsWith(`${name}_`) || !objectProperties(sub)) continue;
      const rest = envPath(key.slice(name.length + 1), sub);
      if (rest.leaf) return { path: [name, ...rest.path], leaf: rest.leaf };
    }
  }
  return { path: [key] };
}

/** Reads an environment string as the type its key expects; anything unreadable is left for validation. */
function envValue(raw: string, leaf: TSchema | undefined): unknown {
  switch (leaf?.type) {
    case "string":
      return raw;
    case "integer":
    case "number": {
      const n = Number(raw.trim().replaceAll("_", ""));
      return raw.trim() !== "" && Number.isFinite(n) ? n : raw;
    }
    case "boolean": {
      const lower = raw.trim().toLowerCase();
      return lower === "true" ? true : lower === "false" ? false : raw;
    }
    case "array": {
      const parsed = parseTomlValue(raw);
      if (Array.isArray(parsed)) return parsed;
      return raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
    }
    default:
      return parseTomlValue(raw) ?? raw;
  }
}

function parseTomlValue(raw: string): unknown {
  try {
    return (parseToml(`v = ${raw}`) as Table).v;
  } catch {
    return undefined;
  }
}

function applyEnv(global: Table, env: Record<string, string | undefined>): void {
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith("CONDUIT_") || name === "CONDUIT_CONFIG" || raw === undefined) continue;
    const { path, leaf } = envPath(name.slice("CONDUIT_".length).toLowerCase(), ConfigSchema);
    let table = global;
    for (const part of path.slice(0, -1)) {
      if (!isTable(table[part])) table[part] = {};
      table = table[part] as Table;
    }
    table[path.at(-1)!] = envValue(raw, leaf);
  }
}

function merge(base: Table, over: Table): Table {
  const out: Table = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isTable(b) && isTable(v) ? merge(b, v) : v;
  }
  return out;
}

/** Warns about every key the schema does not know, at any depth (they would be silently dropped). */
function warnUnknownKeys(table: Table, schema: TSchema, prefix: string, warn: (msg: string) => void): void {
  const props = objectProperties(schema);
  if (!props) return;
  for (const [key, value] of Object.entries(table)) {
    const name = prefix + key;
    if (props[key]) {
      if (isTable(value)) warnUnknownKeys(value, props[key], `${name}.`, warn);
    } else if (!(prefix === "" && acceptedConduitKeys.has(key))) {
      warn(`unknown config key "${name}" is ignored`);
    }
  }
}

function show(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value) ?? String(value);
}

/** Turns the first schema violation into one sentence that names the key. */
function describeViolation(schema: TSchema, value: unknown): string | undefined {
  const first = Value.Errors(schema, value).First();
  if (!first) return undefined;
  const key = first.path.replace(/^\//, "").replaceAll("/", ".").replace(/\.(\d+)/g, "[$1]") || "[global]";
  if (first.value === undefined) return `config key "${key}" is missing`;
  return `config key "${key}" is ${show(first.value)}, but it must be ${expectation(first.message)}`;
}

/** TypeBox's "Expected integer to be less or equal to 65535" as "an integer less or equal to 65535". */
function expectation(message: string): string {
  if (/string length greater or equal to 1$/.test(message)) return "a non-empty string";
  const text = message.replace(/^Expected /, "").replace(/^(\w+) to be /, "$1 ");
  const article = /^(integer|object|array)\b/.test(text) ? "an" : /^(string|number|boolean)\b/.test(text) ? "a" : "";
  return article ? `${article} ${text}` : text;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};

/** A byte count: a number, or a size such as "500MB", "1.5GiB", "40G" (as Conduit's `space`); null if unreadable. */
export function parseByteSize(value: number | string): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value.replaceAll("_", ""));
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  return m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : null;
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1, s: 1e3, sec: 1e3, secs: 1e3, second: 1e3, seconds: 1e3, m: 60e3, min: 60e3, mins: 60e3, minute: 60e3, minutes: 60e3,
  h: 3_600e3, hr: 3_600e3, hrs: 3_600e3, hour: 3_600e3, hours: 3_600e3, d: 86_400e3, day: 86_400e3, days: 86_400e3,
  w: 604_800e3, week: 604_800e3, weeks: 604_800e3, M: 2_630_016e3, month: 2_630_016e3, months: 2_630_016e3,
  y: 31_557_600e3, year: 31_557_600e3, years: 31_557_600e3,
};

/** A duration such as "24h", "30d", "2months", "1h 30min" (humantime's units, as Conduit's retention); null if unreadable. */
export function parseDuration(text: string): number | null {
  const parts = [...text.matchAll(/(\d+)\s*([a-zA-Z]+)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("").replace(/\s/g, "") !== text.replace(/\s/g, "")) return null;
  let ms = 0;
  for (const [, n, unit] of parts) {
    const factor = DURATION_UNITS[unit!] ?? DURATION_UNITS[unit!.toLowerCase()];
    if (factor === undefined) return null;
    ms += Number(n) * factor;
  }
  return ms;
}

/** Checks of the media keys: sizes and durations readable, retention rules this server applies. */
function checkMedia(config: Static<typeof ConfigSchema>, warn: (msg: string) => void): void {
  const media = config.media;
  if (media.backend !== "filesystem") {
    throw new ConfigError(`config key "media.backend" is "${media.backend}", but it must be "filesystem"`);
  }
  for (const key of ["user_quota", "local_space_cap"] as const) {
    const value = media[key];
    if (value !== undefined && parseByteSize(value) === null) {
      throw new ConfigError(`config key "media.${key}" is ${show(value)}, but it must be a number of bytes or a size such as "10GB"`);
    }
  }
  if (parseDuration(media.pending_upload_expiry) === null) {
    throw new ConfigError(`config key "media.pending_upload_expiry" is "${media.pending_upload_expiry}", but it must be a duration such as "24h"`);
  }
  if (config.legacy_media_freeze !== undefined && Number.isNaN(Date.parse(config.legacy_media_freeze))) {
    throw new ConfigError(`config key "legacy_media_freeze" is "${config.legacy_media_freeze}", but it must be an RFC 3339 time such as "2024-09-01T00:00:00Z"`);
  }
  media.retention.forEach((rule, i) => {
    const at = `media.retention[${i}]`;
    if (rule.accessed !== undefined && parseDuration(rule.accessed) === null) {
      throw new ConfigError(`config key "${at}.accessed" is "${rule.accessed}", but it must be a duration such as "30d"`);
    }
    if (rule.space !== undefined && parseByteSize(rule.space) === null) {
      throw new ConfigError(`config key "${at}.space" is "${rule.space}", but it must be a size such as "5GB"`);
    }
    // Local uploads are never deleted behind their owners' backs; the remote cache is.
    if (rule.scope !== "remote") warn(`config key "${at}" (scope ${rule.scope ?? "unset"}) is ignored: only remote media is subject to retention`);
    else if (rule.created !== undefined) warn(`config key "${at}.created" is ignored: remote media is dropped by last access ("accessed") and by "space"`);
  });
}

/** "1 to 12": the versions of the rules table, in order. */
function supportedVersionRange(): string {
  const ids = Object.keys(roomVersions);
  return `${ids[0]} to ${ids[ids.length - 1]}`;
}

/** Checks that go beyond types: values that name things this server must support. */
function checkValues(config: Static<typeof ConfigSchema>): void {
  const backend = config.database_backend.toLowerCase();
  if (backend === "rocksdb") {
    throw new ConfigError(
      'config key "database_backend" is "rocksdb", but this server stores its data in SQLite: set database_backend = "sqlite"',
    );
  }
  if (backend !== "sqlite") {
    throw new ConfigError(`config key "database_backend" is "${config.database_backend}", but it must be "sqlite"`);
  }
  if (!isSupportedRoomVersion(config.default_room_version)) {
    throw new ConfigError(
      `config key "default_room_version" is "${config.default_room_version}", which is not a room version this server supports (${supportedVersionRange()})`,
    );
  }
  const notAddress = config.trusted_proxies.find((proxy) => isIP(proxy) === 0);
  if (notAddress !== undefined) {
    throw new ConfigError(`config key "trusted_proxies" holds "${notAddress}", which is not an IP address`);
  }
  config.matrix_rtc.foci.forEach((focus, i) => {
    if (focus.type === "livekit" && !/^https?:\/\/[^/]/.test(focus.livekit_service_url ?? "")) {
      throw new ConfigError(`config key "matrix_rtc.foci[${i}].livekit_service_url" must be the http(s) URL of the LiveKit JWT service`);
    }
  });
  const client = config.well_known.client;
  if (client !== undefined && !/^https?:\/\/[^/]/.test(client)) {
    throw new ConfigError(`config key "well_known.client" is "${client}", but it must be an http(s) URL`);
  }
}

export interface LoadOptions {
  /** Path given by `--config`; takes precedence over `CONDUIT_CONFIG`. */
  path?: string;
  env?: Record<string, string | undefined>;
  warn?: (msg: string) => void;
}

async function readFile(path: string, warn: (msg: string) => void): Promise<Table> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new ConfigError(`config file ${path} does not exist`);
  let doc: Table;
  try {
    doc = parseToml(await file.text()) as Table;
  } catch (e) {
    // smol-toml's message is "Invalid TOML document: <problem>" followed by a code excerpt.
    const problem = e instanceof Error ? (e.message.split("\n")[0] ?? "").replace(/^Invalid TOML document: /, "") : String(e);
    const line = isTable(e) && typeof e.line === "number" ? ` at line ${e.line}` : "";
    throw new ConfigError(`config file ${path} is not valid TOML${line}: ${problem}`);
  }
  if (!isTable(doc.global)) throw new ConfigError(`config file ${path} has no [global] table`);
  for (const key of Object.keys(doc)) if (key !== "global") warn(`unknown config table [${key}] is ignored`);
  return doc.global;
}

/** The SQLite file inside `database_path`, which, as in Conduit, names a directory. */
export function databaseFile(config: Config): string {
  return config.database_path.endsWith(".db") ? config.database_path : join(config.database_path, "conduit.db");
}

export async function loadConfig(opts: LoadOptions = {}): Promise<Config> {
  const env = opts.env ?? process.env;
  const warn = opts.warn ?? ((m: string) => console.warn(`warning: ${m}`));
  const path = opts.path ?? (env.CONDUIT_CONFIG || undefined);

  const file = path ? await readFile(path, warn) : {};
  // Conduit: an empty [global.media.directory_structure] table means no sub-folders.
  const structure = isTable(file.media) ? file.media.directory_structure : undefined;
  if (isTable(structure) && Object.keys(structure).length === 0) (file.media as Table).directory_structure = { depth: 0, length: 2 };
  const global = merge(defaults(), file);
  applyEnv(global, env);
  global.allow_registration ??= defaultAllowRegistration(!path, global.address);
  warnUnknownKeys(global, ConfigSchema, "", warn);
  // Conduit's example leaves an empty token in place; an empty token means "no token required".
  if (global.registration_token === "") delete global.registration_token;

  const violation = describeViolation(ConfigSchema, global);
  if (violation) throw new ConfigError(violation);
  const config = Value.Clean(ConfigSchema, structuredClone(global)) as Static<typeof ConfigSchema>;
  checkValues(config);
  checkMedia(config, warn);
  return { ...config, source: path ?? "built-in defaults" };
}

export type RegistrationParse = { ok: true; registration: Registration } | { ok: false; error: string };

/**
 * An application service registration from YAML text (a file, or an admin command's text): the
 * registration, or one sentence naming the line (bad YAML) or the field (bad registration).
 * Duplicate keys are refused: two `as_token` lines would leave it unclear which one counts.
 */
export function parseRegistrationYaml(text: string, serverName: string): RegistrationParse {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    // The yaml package's message is "<problem> at line L, column C:" followed by a code excerpt.
    const problem = e instanceof Error ? (e.message.split("\n")[0] ?? "").replace(/:$/, "") : String(e);
    return { ok: false, error: `is not valid YAML: ${problem}` };
  }
  const check = checkRegistration(doc, serverName);
  if (!check.ok) return { ok: false, error: `has a bad field: "${check.field}" ${check.problem}` };
  return check;
}

/**
 * Reads and checks the registration files of `app_service_config_files` at start. A missing or
 * bad file, or two registrations sharing an id or an as_token (the spec demands both be unique),
 * stops the start with a ConfigError naming the file and the field.
 */
export async function readAppserviceFiles(config: Pick<Config, "app_service_config_files" | "server_name">): Promise<{ path: string; registration: Registration }[]> {
  const loaded: { path: string; registration: Registration }[] = [];
  for (const path of config.app_service_config_files) {
    const file = Bun.file(path);
    if (!(await file.exists())) throw new ConfigError(`config key "app_service_config_files" names ${path}, which does not exist`);
    const parsed = parseRegistrationYaml(await file.text(), config.server_name);
    if (!parsed.ok) throw new ConfigError(`appservice registration ${path} ${parsed.error}`);
    for (const other of loaded) {
      const clash = registrationClash(parsed.registration, other.registration);
      if (clash) throw new ConfigError(`appservice registrations ${other.path} and ${path} have the same ${clash}, which must be unique`);
    }
    loaded.push({ path, registration: parsed.registration });
  }
  return loaded;
}
