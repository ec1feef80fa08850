// Loading the TOML config and CONDUIT_* overrides: Conduit's own files, defaults, validation messages,
// unknown keys, and the example file we ship.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TSchema } from "@sinclair/typebox";
import { ConfigError, ConfigSchema, loadConfig, parseByteSize, parseDuration, type Config } from "../src/config";

const dir = mkdtempSync(join(tmpdir(), "conduit-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function writeToml(text: string): string {
  const path = join(dir, `c${files++}.toml`);
  writeFileSync(path, text);
  return path;
}

async function load(text: string | undefined, env: Record<string, string> = {}) {
  const warnings: string[] = [];
  const path = text === undefined ? undefined : writeToml(text);
  const config = await loadConfig({ path, env, warn: (w) => warnings.push(w) });
  return { config, warnings };
}

async function loadError(text: string | undefined, env: Record<string, string> = {}): Promise<string> {
  try {
    await load(text, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const message = (e as ConfigError).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected the config to be refused");
}

/** The settings of Conduit's published example config, written out the way that file has them. */
function conduitStyleExample(backend: string): string {
  return `
# comments as an operator's file has them
[global]
#server_name = "your.server.name"
database_backend = "${backend}"
database_path = "/var/lib/matrix-conduit/"
port = 6167
max_request_size = 20_000_000 # in bytes
allow_registration = true
registration_token = ""
allow_check_for_updates = true
allow_federation = true
enable_lightning_bolt = true
trusted_servers = ["matrix.org"]
#max_concurrent_requests = 100
#log = "..."
address = "127.0.0.1" # reverse proxy only

[global.well_known]
#server = your.server.name:443
#client = https://your.server.name
`;
}

describe("Conduit's example config", () => {
  test("loads unchanged apart from database_backend, without warnings", async () => {
    const { config, warnings } = await load(conduitStyleExample("sqlite"));
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      database_path: "/var/lib/matrix-conduit/",
      port: 6167,
      max_request_size: 20_000_000,
      allow_registration: true,
      allow_federation: true,
      trusted_servers: ["matrix.org"],
      address: "127.0.0.1",
      well_known: {},
    });
    // An empty token is Conduit's way of saying "no token needed".
    expect(config.registration_token).toBeUndefined();
    // Conduit-only switches are accepted but not carried into our config.
    expect(config).not.toHaveProperty("enable_lightning_bolt");
  });

  test('"rocksdb" is refused with a sentence that says what to set', async () => {
    const message = await loadError(conduitStyleExample("rocksdb"));
    expect(message).toContain('"database_backend"');
    expect(message).toContain('database_backend = "sqlite"');
  });
});

describe("defaults", () => {
  test("without a file: localhost, ./data, 127.0.0.1:6167, open registration", async () => {
    const { config } = await load(undefined);
    expect(config).toMatchObject({
      server_name: "localhost",
      database_path: "./data",
      address: "127.0.0.1",
      port: 6167,
      allow_registration: true,
      source: "built-in defaults",
    });
  });

  test("without a file but on a public address (a container), registration stays closed", async () => {
    expect((await load(undefined, { CONDUIT_ADDRESS: "0.0.0.0" })).config.allow_registration).toBe(false);
    expect((await load(undefined, { CONDUIT_ADDRESS: "0.0.0.0", CONDUIT_ALLOW_REGISTRATION: "true" })).config.allow_registration).toBe(true);
  });

  test("with a file, registration stays closed unless the file opens it", async () => {
    const { config } = await load('[global]\nserver_name = "example.org"\n');
    expect(config.allow_registration).toBe(false);
    expect(config.source).toEndWith(".toml");
  });

  test("--config wins over CONDUIT_CONFIG", async () => {
    const named = writeToml('[global]\nserver_name = "named.example"\n');
    const fromEnv = writeToml('[global]\nserver_name = "env.example"\n');
    const config = await loadConfig({ path: named, env: { CONDUIT_CONFIG: fromEnv }, warn: () => {} });
    expect(config.server_name).toBe("named.example");
    const viaEnv = await loadConfig({ env: { CONDUIT_CONFIG: fromEnv }, warn: () => {} });
    expect(viaEnv.server_name).toBe("env.example");
  });
});

describe("bad files and values are one sentence naming the key", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["a string port", '[global]\nport = "http"', /^config key "port" is "http", but it must be an integer$/],
    ["a port out of range", "[global]\nport = 70000", /"port" is 70000, but it must be an integer less or equal to 65535/],
    ["a non-boolean switch", '[global]\nallow_federation = "yes"', /"allow_federation" is "yes", but it must be a boolean/],
    ["an empty server_name", '[global]\nserver_name = ""', /"server_name" is "", but it must be a non-empty string/],
    ["a number in a list of names", "[global]\ntrusted_servers = [1]", /"trusted_servers\[0\]" is 1/],
    ["half a TLS table", '[global]\n[global.tls]\ncerts = "/x.pem"', /^config key "tls.key" is missing$/],
    ["a zero rate", "[global]\n[global.rate_limits]\nlogin = { per_second = 0, burst = 1 }", /"rate_limits.login.per_second" is 0/],
    ["an unknown room version", '[global]\ndefault_room_version = "99"', /"default_room_version" is "99", which is not a room version/],
    ["a well-known client that is no URL", '[global]\n[global.well_known]\nclient = "matrix.example.org"', /"well_known.client" .* must be an http\(s\) URL/],
    ["a trusted proxy that is no address", '[global]\ntrusted_proxies = ["proxy.local"]', /"trusted_proxies" holds "proxy.local", which is not an IP address/],
    ["a backend we do not have", '[global]\ndatabase_backend = "postgres"', /"database_backend" is "postgres", but it must be "sqlite"/],
    ["a LiveKit focus without its service URL", '[global]\n[global.matrix_rtc]\nfoci = [{ type = "livekit" }]', /"matrix_rtc.foci\[0\].livekit_service_url" must be the http\(s\) URL/],
    ["a file without [global]", 'server_name = "example.org"', /has no \[global\] table/],
    ["broken TOML", "[global]\nport = 1\ntrusted_servers = [\n", /is not valid TOML at line \d+: /],
    ["a key given twice", "[global]\nport = 1\nport = 2\n", /is not valid TOML at line \d+: .*already defined/],
  ];
  for (const [what, toml, expected] of cases) {
    test(what, async () => {
      expect(await loadError(toml)).toMatch(expected);
    });
  }

  test("a missing file", async () => {
    const missing = join(dir, "nope.toml");
    await expect(loadConfig({ path: missing, env: {} })).rejects.toThrow(`config file ${missing} does not exist`);
  });
});

describe("unknown keys are warned about, not fatal", () => {
  test("at the top, in sub-tables and as whole tables", async () => {
    const { config, warnings } = await load(
      '[global]\nserver_name = "example.org"\nfrobnicate = 1\n[global.well_known]\nclient = "https://m.example.org"\nextra = true\n[database]\nx = 1\n',
    );
    expect(config.server_name).toBe("example.org");
    expect(config.well_known).toEqual({ client: "https://m.example.org" });
    expect(warnings).toContain('unknown config key "frobnicate" is ignored');
    expect(warnings).toContain('unknown config key "well_known.extra" is ignored');
    expect(warnings).toContain("unknown config table [database] is ignored");
    expect(config).not.toHaveProperty("frobnicate");
  });
});

describe("CONDUIT_<KEY> environment overrides", () => {
  const file = '[global]\nserver_name = "file.example"\nport = 8000\nallow_registration = true\n';

  test("override file values, typed by the key they name", async () => {
    const { config } = await load(file, {
      CONDUIT_PORT: "8448",
      CONDUIT_ALLOW_REGISTRATION: "false",
      CONDUIT_SERVER_NAME: "1234", // a name that looks like a number stays a string
      CONDUIT_MAX_REQUEST_SIZE: "50_000_000",
    });
    expect(config).toMatchObject({ port: 8448, allow_registration: false, server_name: "1234", max_request_size: 50_000_000 });
  });

  test("lists as TOML arrays or comma-separated", async () => {
    expect((await load(file, { CONDUIT_TRUSTED_SERVERS: '["a.example", "b.example"]' })).config.trusted_servers).toEqual(["a.example", "b.example"]);
    expect((await load(file, { CONDUIT_TRUSTED_SERVERS: "a.example, b.example" })).config.trusted_servers).toEqual(["a.example", "b.example"]);
  });

  test("sub-tables: CONDUIT_WELL_KNOWN_CLIENT, CONDUIT_WELL_KNOWN_SERVER", async () => {
    const { config } = await load(file, {
      CONDUIT_WELL_KNOWN_CLIENT: "https://matrix.example.org",
      CONDUIT_WELL_KNOWN_SERVER: "matrix.example.org:443",
    });
    expect(config.well_known).toEqual({ client: "https://matrix.example.org", server: "matrix.example.org:443" });
  });

  test("sub-tables: CONDUIT_TLS_CERTS and CONDUIT_TLS_KEY make a TLS table", async () => {
    const { config } = await load(file, { CONDUIT_TLS_CERTS: "/etc/ssl/chain.pem", CONDUIT_TLS_KEY: "/etc/ssl/key.pem" });
    expect(config.tls).toEqual({ certs: "/etc/ssl/chain.pem", key: "/etc/ssl/key.pem" });
    expect(await loadError(file, { CONDUIT_TLS_CERTS: "/etc/ssl/chain.pem" })).toBe('config key "tls.key" is missing');
  });

  test("nested sub-tables: CONDUIT_RATE_LIMITS_ENABLED, CONDUIT_RATE_LIMITS_LOGIN_PER_SECOND", async () => {
    const { config } = await load(file, { CONDUIT_RATE_LIMITS_ENABLED: "false", CONDUIT_RATE_LIMITS_LOGIN_PER_SECOND: "2.5" });
    expect(config.rate_limits.enabled).toBe(false);
    expect(config.rate_limits.login).toEqual({ per_second: 2.5, burst: 10 });
  });

  test("a bad value from the environment names the key", async () => {
    expect(await loadError(file, { CONDUIT_PORT: "eighty" })).toBe('config key "port" is "eighty", but it must be an integer');
  });

  test("an unknown variable is warned about like an unknown key", async () => {
    const { warnings } = await load(file, { CONDUIT_NO_SUCH_THING: "1" });
    expect(warnings).toEqual(['unknown config key "no_such_thing" is ignored']);
  });

  test("CONDUIT_DATABASE_BACKEND=rocksdb is refused too", async () => {
    expect(await loadError(file, { CONDUIT_DATABASE_BACKEND: "rocksdb" })).toContain("SQLite");
  });
});

/** The sub-tables of `[global]` (`[global.tls]` …). */
const objectKeys = new Set(
  Object.entries(ConfigSchema.properties as Record<string, TSchema>).filter(([, s]) => s.type === "object").map(([k]) => k),
);

/** Every dotted key path the schema defines, e.g. `rate_limits.login.per_second`. */
function schemaKeys(schema: TSchema, prefix = ""): string[] {
  const props = schema.type === "object" ? (schema.properties as Record<string, TSchema>) : {};
  return Object.entries(props).flatMap(([key, sub]) => [prefix + key, ...schemaKeys(sub, `${prefix}${key}.`)]);
}

test("the README's configuration reference names every key", async () => {
  const readme = await Bun.file(join(import.meta.dir, "..", "README.md")).text();
  for (const key of schemaKeys(ConfigSchema)) {
    const parts = key.split(".");
    if (parts.length === 1 && objectKeys.has(key)) expect(readme).toContain(`[global.${key}]`);
    else expect(readme).toContain(parts[0] === "rate_limits" && parts.length === 3 ? parts[2]! : `\`${parts.at(-1)}\``);
  }
});

describe("our conduit-example.toml", () => {
  const examplePath = join(import.meta.dir, "..", "conduit-example.toml");

  test("loads without warnings", async () => {
    const warnings: string[] = [];
    const config: Config = await loadConfig({ path: examplePath, env: {}, warn: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(config.server_name).toBe("example.org");
  });

  test("documents every key the server reads", async () => {
    const text = await Bun.file(examplePath).text();
    for (const key of schemaKeys(ConfigSchema)) {
      const parts = key.split(".");
      const last = parts.at(-1)!;
      if (parts.length === 1 && objectKeys.has(last)) expect(text).toContain(`[global.${last}]`);
      else if (parts[0] === "rate_limits" && parts.length === 3) expect(text).toMatch(new RegExp(`\\b${last} = `));
      else expect(text).toMatch(new RegExp(`^#?${last} = `, "m"));
    }
  });
});

describe("media keys", () => {
  test("defaults: uploads limited by max_request_size, Conduit's folder layout, no quota, no retention", async () => {
    const { config } = await load("[global]\n");
    expect(config.max_upload_size).toBeUndefined();
    expect(config.max_image_pixels).toBe(32_000_000);
    expect(config.media).toMatchObject({ backend: "filesystem", directory_structure: { depth: 2, length: 2 }, retention: [], max_pending_uploads: 5 });
  });

  test("Conduit's media table loads: path, an empty directory_structure (one folder), remote retention", async () => {
    const { config, warnings } = await load(
      '[global]\n[global.media]\nbackend = "filesystem"\npath = "/srv/media"\n[global.media.directory_structure]\n' +
        '[[global.media.retention]]\nscope = "remote"\naccessed = "30d"\nspace = "5GB"\n',
    );
    expect(config.media.path).toBe("/srv/media");
    expect(config.media.directory_structure.depth).toBe(0);
    expect(config.media.retention).toEqual([{ scope: "remote", accessed: "30d", space: "5GB" }]);
    expect(warnings).toEqual([]);
  });

  test("retention of local media or by creation time is not applied, and says so", async () => {
    const { warnings } = await load('[global]\n[[global.media.retention]]\nspace = "40G"\n[[global.media.retention]]\nscope = "remote"\ncreated = "90days"\n');
    expect(warnings).toEqual([
      'config key "media.retention[0]" (scope unset) is ignored: only remote media is subject to retention',
      'config key "media.retention[1].created" is ignored: remote media is dropped by last access ("accessed") and by "space"',
    ]);
  });

  test("bad sizes, durations, times and backends are one sentence naming the key", async () => {
    expect(await loadError('[global]\n[global.media]\nuser_quota = "lots"\n')).toBe('config key "media.user_quota" is "lots", but it must be a number of bytes or a size such as "10GB"');
    expect(await loadError('[global]\n[global.media]\npending_upload_expiry = "soon"\n')).toContain('"media.pending_upload_expiry" is "soon"');
    expect(await loadError('[global]\nlegacy_media_freeze = "yesterday"\n')).toContain('"legacy_media_freeze" is "yesterday"');
    expect(await loadError('[global]\n[[global.media.retention]]\nscope = "remote"\naccessed = "a while"\n')).toContain('"media.retention[0].accessed"');
    expect(await loadError('[global]\n[global.media]\nbackend = "s3"\n')).toContain('"media.backend" is "s3"');
  });

  test("sizes and durations read as Conduit writes them", () => {
    expect([parseByteSize("5GB"), parseByteSize("1.5GiB"), parseByteSize("40G"), parseByteSize("10_000MB"), parseByteSize(7), parseByteSize("x")]).toEqual([
      5e9, 1.5 * 2 ** 30, 40e9, 1e10, 7, null,
    ]);
    expect([parseDuration("24h"), parseDuration("30d"), parseDuration("90days"), parseDuration("1h 30min"), parseDuration("2months"), parseDuration("10"), parseDuration("5 parsecs")]).toEqual([
      86_400_000, 30 * 86_400_000, 90 * 86_400_000, 5_400_000, 2 * 2_630_016_000, null, null,
    ]);
  });
});
