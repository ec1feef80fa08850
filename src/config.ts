/**
 * Configuration: the only reader of the TOML file and of `process.env`. The file format is Conduit's
 * (`[global]` table, `CONDUIT_CONFIG=/path/conduit.toml`), so an operator's existing file loads as is
 * (apart from `database_backend`). `CONDUIT_<KEY>` variables override file values, with Conduit's
 * convention for sub-tables: `CONDUIT_WELL_KNOWN_CLIENT` sets `[global.well_known] client`.
 */
import { parse as parseToml } from "smol-toml";
import { Type as T, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/** A bad config: main prints the message as one sentence and exits with status 1. */
export class ConfigError extends Error {}

const RateLimit = T.Object({
  /** Requests allowed per second, sustained. */
  per_second: T.Number({ exclusiveMinimum: 0 }),
  /** Requests allowed in a burst before the sustained rate applies. */
  burst: T.Integer({ minimum: 1 }),
});
export type RateLimitRule = Static<typeof RateLimit>;

const rateLimitDefaults = {
  enabled: true,
  login: { per_second: 0.5, burst: 10 },
  failed_login: { per_second: 0.1, burst: 5 },
  register: { per_second: 0.2, burst: 5 },
  message: { per_second: 10, burst: 50 },
};

const GlobalSchema = T.Object({
  server_name: T.String({ minLength: 1 }),
  database_backend: T.String(),
  database_path: T.String({ minLength: 1 }),
  address: T.String({ minLength: 1 }),
  port: T.Integer({ minimum: 0, maximum: 65535 }),
  max_request_size: T.Integer({ minimum: 1024 }),
  allow_registration: T.Boolean(),
  registration_token: T.Optional(T.String()),
  allow_federation: T.Boolean(),
  allow_encryption: T.Boolean(),
  allow_room_creation: T.Boolean(),
  default_room_version: T.String(),
  trusted_servers: T.Array(T.String()),
  log: T.String(),
  /** Size of the state-resolution worker pool; 0 means one per core. */
  state_res_workers: T.Integer({ minimum: 0, maximum: 64 }),
  well_known: T.Object({ client: T.Optional(T.String()), server: T.Optional(T.String()) }),
  tls: T.Optional(T.Object({ certs: T.String(), key: T.String() })),
  rate_limits: T.Object({
    enabled: T.Boolean(),
    login: RateLimit,
    failed_login: RateLimit,
    register: RateLimit,
    message: RateLimit,
  }),
});
export type Config = Static<typeof GlobalSchema> & {
  /** Where the configuration came from, for the start-up log. */
  source: string;
};

/** Conduit's keys that we accept for compatibility but that have no effect on this server. */
const acceptedConduitKeys = new Set([
  "allow_check_for_updates", "enable_lightning_bolt", "db_cache_capacity_mb", "conduit_cache_capacity_modifier",
  "rocksdb_max_open_files", "pdu_cache_capacity", "cleanup_second_interval", "max_concurrent_requests",
  "max_fetch_prev_events", "openid_token_ttl", "allow_unstable_room_versions", "allow_jaeger", "tracing_flame",
  "proxy", "jwt_secret", "turn_username", "turn_password", "turn_uris", "turn_secret", "turn_ttl", "turn",
  "ignored_keys", "media", "emergency_password", "workers",
]);
/** Sub-tables whose keys `CONDUIT_<TABLE>_<KEY>` addresses. */
const subTables = ["well_known", "tls", "rate_limits"];

type Table = Record<string, unknown>;

function defaults(noFile: boolean): Table {
  return {
    server_name: "localhost",
    database_backend: "sqlite",
    database_path: "./data",
    address: "127.0.0.1",
    port: 6167,
    max_request_size: 20_000_000,
    // Without a config file the server listens on loopback only, so open registration is safe and lets
    // a first user sign up at once; with a file, registration stays off unless the operator enables it.
    allow_registration: noFile,
    allow_federation: true,
    allow_encryption: true,
    allow_room_creation: true,
    default_room_version: "12",
    trusted_servers: ["matrix.org"],
    log: "info",
    state_res_workers: 0,
    well_known: {},
    rate_limits: structuredClone(rateLimitDefaults),
  };
}

/** Reads the value of an environment variable as TOML when it is one (numbers, booleans, arrays). */
function envValue(raw: string): unknown {
  try {
    return (parseToml(`v = ${raw}`) as Table).v;
  } catch {
    return raw;
  }
}

function applyEnv(global: Table, env: Record<string, string | undefined>): void {
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith("CONDUIT_") || name === "CONDUIT_CONFIG" || raw === undefined) continue;
    const key = name.slice("CONDUIT_".length).toLowerCase();
    const table = subTables.find((t) => key.startsWith(`${t}_`));
    if (table) {
      const sub = (global[table] ??= {}) as Table;
      sub[key.slice(table.length + 1)] = envValue(raw);
    } else {
      global[key] = envValue(raw);
    }
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

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function warnUnknownKeys(global: Table, warn: (msg: string) => void): void {
  const known = new Set(Object.keys(GlobalSchema.properties));
  for (const key of Object.keys(global)) {
    if (acceptedConduitKeys.has(key)) continue;
    if (!known.has(key)) warn(`unknown config key "${key}" in [global] is ignored`);
  }
}

/** Turns the first schema violation into one sentence that names the key. */
function describeViolation(schema: TSchema, value: unknown): string | undefined {
  const first = Value.Errors(schema, value).First();
  if (!first) return undefined;
  const key = first.path.replace(/^\//, "").replaceAll("/", ".") || "[global]";
  return `config key "${key}" ${first.value === undefined ? "is missing" : `is invalid: ${first.message.toLowerCase()}`}`;
}

export interface LoadOptions {
  /** Path given by `--config`; takes precedence over `CONDUIT_CONFIG`. */
  path?: string;
  env?: Record<string, string | undefined>;
  warn?: (msg: string) => void;
}

export async function loadConfig(opts: LoadOptions = {}): Promise<Config> {
  const env = opts.env ?? process.env;
  const warn = opts.warn ?? ((m: string) => console.warn(`warning: ${m}`));
  const path = opts.path ?? env.CONDUIT_CONFIG;

  let fromFile: Table = {};
  if (path) {
    const file = Bun.file(path);
    if (!(await file.exists())) throw new ConfigError(`config file ${path} does not exist`);
    let doc: Table;
    try {
      doc = parseToml(await file.text()) as Table;
    } catch (e) {
      const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
      throw new ConfigError(`config file ${path} is not valid TOML: ${msg}`);
    }
    if (!isTable(doc.global)) throw new ConfigError(`config file ${path} has no [global] table`);
    for (const key of Object.keys(doc)) if (key !== "global") warn(`unknown config table [${key}] is ignored`);
    fromFile = doc.global;
  }

  const global = merge(defaults(!path), fromFile);
  applyEnv(global, env);
  warnUnknownKeys(global, warn);
  // Conduit's example leaves an empty token in place; an empty token means "no token required".
  if (global.registration_token === "") delete global.registration_token;

  const violation = describeViolation(GlobalSchema, global);
  if (violation) throw new ConfigError(violation);
  const config = Value.Clean(GlobalSchema, structuredClone(global)) as Static<typeof GlobalSchema>;

  if (config.database_backend.toLowerCase() === "rocksdb") {
    throw new ConfigError(
      'config key "database_backend" is "rocksdb", but this server stores its data in SQLite: set database_backend = "sqlite"',
    );
  }
  if (config.database_backend.toLowerCase() !== "sqlite") {
    throw new ConfigError(`config key "database_backend" must be "sqlite", not "${config.database_backend}"`);
  }
  return { ...config, source: path ?? "built-in defaults" };
}
