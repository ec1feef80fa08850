/**
 * Entry point: arguments -> config -> database (migrated) -> services -> HTTP. SIGTERM and SIGINT
 * stop accepting, let in-flight requests finish, then close the database cleanly.
 */
import { dirname, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { createApp, serve } from "./api/app";
import { ConfigError, databaseFile, loadConfig, readAppserviceFiles, type Config } from "./config";
import { buildServices } from "./services";
import { systemClock } from "./runtime/clock";
import { loadOrCreateSigningKey, rotateSigningKey } from "./services/federation/keys/signing-key";
import { createFederationSender } from "./workers/federation-sender/sender";
import { createPushSender } from "./workers/push-sender/sender";
import { createAppserviceSender } from "./workers/appservice-sender/sender";
import { serveMetrics } from "./api/metrics";
import { createBusyMeter } from "./runtime/busy-meter";
import { createMetrics } from "./runtime/metrics";
import { registerServerGauges } from "./services/server-metrics";
import { createPduCheckPool } from "./workers/pdu-check/pool";
import { createStateResPool } from "./workers/state-res/pool";
import { createThumbnailer } from "./workers/thumbnailer/pool";
import { checkIntegrityInBackground } from "./workers/integrity-check/background-check";
import { createLogger, parseLevel } from "./runtime/logger";
import { startHeapGovernor } from "./runtime/heap-governor";
import { StorageError } from "./storage/db";
import { createStorage, integrityCheckOwed, integrityCheckPassed, openDatabase, scheduleCheckpoints } from "./storage";
import { errorMessage } from "./core";
import { commandsUsage, findCommand, isCommandGroup, runCommand } from "./cli";

const usage = `conduit ${pkg.version}: a Matrix homeserver in one executable

Usage: conduit [--config <path>] [--rotate-signing-key] [--help] [--version]
       conduit <command> [arguments]

  -c, --config <path>  TOML config file (Conduit's format, [global] table).
                       Default: $CONDUIT_CONFIG, else built-in defaults (localhost, ./data,
                       127.0.0.1:6167). CONDUIT_<KEY> environment variables override file values.
      --rotate-signing-key
                       Retire the signing key (it stays published as an old key, so what it
                       signed stays verifiable), create a new one, and exit. Run it while the
                       server is stopped.
  -h, --help           Show this help.
  -V, --version        Show the version.

Commands (they work with the server stopped or running):
${commandsUsage()}

`;

function parseArgs(argv: string[]): { config?: string; rotateSigningKey?: boolean } {
  const out: { config?: string; rotateSigningKey?: boolean } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") {
      process.stdout.write(usage);
      process.exit(0);
    } else if (arg === "-V" || arg === "--version") {
      process.stdout.write(`conduit ${pkg.version}\n`);
      process.exit(0);
    } else if (arg === "-c" || arg === "--config") {
      const path = argv[++i];
      if (!path) fail("--config needs a file path");
      out.config = path;
    } else if (arg === "--rotate-signing-key") {
      out.rotateSigningKey = true;
    } else if (arg.startsWith("--config=")) {
      out.config = arg.slice("--config=".length);
    } else {
      fail(`unknown argument "${arg}" (see --help)`);
    }
  }
  return out;
}

function fail(sentence: string): never {
  process.stderr.write(`conduit: ${sentence}\n`);
  process.exit(1);
}


/** How often the WAL is folded back into the database file while running. */
const CHECKPOINT_INTERVAL_MS = 5 * 60_000;
/** Garbage the JavaScript heap may gather before a collection is forced (docs/performance.md). */
const HEAP_HEADROOM_BYTES = 8 * 1024 * 1024;
/** How often expired upload ids, old remote media and expired URL previews are swept. */
const MEDIA_SWEEP_INTERVAL_MS = 10 * 60_000;

async function main(): Promise<void> {
  const argv = Bun.argv.slice(2);
  const found = findCommand(argv);
  if (found) process.exit(await runCommand(found.command, found.args));
  if (isCommandGroup(argv[0])) fail(`unknown command "${argv.slice(0, 2).join(" ")}" (see --help)`);
  const args = parseArgs(argv);
  const warnings: string[] = [];
  let config: Config;
  try {
    config = await loadConfig({ path: args.config, warn: (w) => warnings.push(w) });
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  const log = createLogger(parseLevel(config.log));
  for (const w of warnings) log.warn(w);
  let appserviceFiles: Awaited<ReturnType<typeof readAppserviceFiles>>;
  try {
    appserviceFiles = await readAppserviceFiles(config);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }

  let tls: { cert: string; key: string } | undefined;
  if (config.tls) {
    const [cert, key] = [Bun.file(config.tls.certs), Bun.file(config.tls.key)];
    if (!(await cert.exists())) fail(`config key "tls.certs" names ${config.tls.certs}, which does not exist`);
    if (!(await key.exists())) fail(`config key "tls.key" names ${config.tls.key}, which does not exist`);
    tls = { cert: await cert.text(), key: await key.text() };
  }

  const file = resolve(databaseFile(config));
  if (config.source === "built-in defaults") {
    log.info("no config file (--config or CONDUIT_CONFIG): using built-in defaults", { data: dirname(file) });
  }
  let db: ReturnType<typeof openDatabase>;
  try {
    db = openDatabase(file, { cacheMiB: config.db_cache_capacity_mb });
  } catch (e) {
    if (e instanceof StorageError) fail(e.message);
    fail(`cannot open database ${file}: ${errorMessage(e)}`);
  }
  const storage = createStorage(db);
  if (args.rotateSigningKey) {
    const { key, retired } = rotateSigningKey(storage, systemClock);
    storage.close();
    process.stdout.write(`new signing key ${key.keyId}${retired ? `; ${retired} is retired but stays published` : ""}\n`);
    process.exit(0);
  }
  const stopCheckpoints = scheduleCheckpoints(db, CHECKPOINT_INTERVAL_MS, (error) =>
    log.warn("WAL checkpoint failed", { error }),
  );
  // The threads: the federation sender (its own database connection, started when there is
  // something to send) and the pools for state resolution and PDU checks (started on first use).
  const signingKey = loadOrCreateSigningKey(storage, systemClock);
  const senderWorker = config.allow_federation
    ? { start: () => new Worker(new URL("./workers/federation-sender/federation-sender.worker.ts", import.meta.url)), databaseFile: file }
    : undefined;
  const sender = createFederationSender({ config, storage, clock: systemClock, log, signingKey, worker: senderWorker });
  const pushSender = createPushSender({
    config,
    storage,
    log,
    worker: { start: () => new Worker(new URL("./workers/push-sender/push-sender.worker.ts", import.meta.url)), databaseFile: file },
  });
  const appserviceSender = createAppserviceSender({
    config,
    storage,
    log,
    worker: { start: () => new Worker(new URL("./workers/appservice-sender/appservice-sender.worker.ts", import.meta.url)), databaseFile: file },
  });
  // Metrics are opt-in: without [global.metrics] nothing is counted or timed.
  const metrics = config.metrics ? createMetrics() : undefined;
  const poolMeters = { state_res: createBusyMeter(), pdu_check: createBusyMeter() };
  const stateResPool = createStateResPool({ size: config.state_res_workers || undefined, busy: metrics && poolMeters.state_res });
  const pduCheckPool = createPduCheckPool(undefined, metrics && poolMeters.pdu_check);
  const thumbnailer = createThumbnailer();
  let services;
  try {
    services = buildServices({
      config,
      storage,
      clock: systemClock,
      log,
      signingKey,
      outbound: sender,
      stateResolver: stateResPool,
      pduChecks: pduCheckPool,
      thumbnailer,
      appserviceFiles,
      pushDelivery: pushSender,
      appserviceDelivery: appserviceSender,
    });
  } catch (e) {
    stopCheckpoints();
    storage.close();
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  // The admin room exists from the first start on, with the admins invited.
  await services.admin.room.ensure().catch((error: unknown) => log.warn("the admin room is not ready", { error: errorMessage(error) }));
  // Media: partial files a crash left are cleared now; the remote cache is swept in the background.
  services.media.files.open();
  const stopHeapGovernor = startHeapGovernor(HEAP_HEADROOM_BYTES);
  const stopMediaSweep = services.media.retention.start(MEDIA_SWEEP_INTERVAL_MS, (error) => log.warn("media sweep failed", { error }));
  let server: ReturnType<typeof serve>;
  try {
    server = serve(createApp(services, metrics?.observeRequest), {
      hostname: config.address,
      port: config.port,
      maxRequestBodySize: Math.max(config.max_request_size, services.media.settings.maxUploadSize),
      tls,
      trustedProxies: config.trusted_proxies,
    });
  } catch (e) {
    storage.close();
    fail(`cannot listen on ${config.address}:${config.port}: ${errorMessage(e)}`);
  }
  let metricsServer: ReturnType<typeof serveMetrics> | undefined;
  if (metrics && config.metrics) {
    registerServerGauges(metrics, { services, storage, pools: poolMeters });
    try {
      metricsServer = serveMetrics(metrics, config.metrics);
    } catch (e) {
      storage.close();
      fail(`cannot listen for metrics on ${config.metrics.address}:${config.metrics.port}: ${errorMessage(e)}`);
    }
  }

  // Delayed events: those that fell due while the server was down are sent now, late rather than never.
  services.delayedEvents.delayed.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    services.sync.notifier.close(); // long-polls answer now instead of at their timeout
    // Appservices first, while we still serve them: one acting on a transaction may call us back.
    await appserviceSender.stop();
    await server.stop(false); // stop accepting; wait for in-flight requests
    metricsServer?.stop(true);
    services.delayedEvents.delayed.stop();
    await sender.stop();
    await pushSender.stop();
    stateResPool.close();
    thumbnailer.stop();
    stopMediaSweep();
    stopHeapGovernor();
    stopCheckpoints();
    storage.close();
    log.info("stopped cleanly");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));

  // After an unclean shutdown the full check runs now, beside the requests, at low priority: the
  // server is up at once whatever the database's size, and damage is still reported.
  if (integrityCheckOwed(db)) {
    log.warn("the last run did not shut down cleanly: checking the database's integrity in the background", { database: file });
    checkIntegrityInBackground(file).then(
      (report) => {
        if (report.ok) {
          integrityCheckPassed(db);
          log.info("database integrity check passed", { database: file, ms: Math.round(report.ms) });
        } else {
          log.error("database integrity check found damage: stop the server and restore from a backup", { database: file, problems: report.problems });
        }
      },
      (error) => log.warn("database integrity check did not run", { database: file, error }),
    );
  }

  // Logged last: whoever waits for this line may send a signal at once.
  log.info("conduit started", {
    version: pkg.version,
    server_name: config.server_name,
    listening: `${tls ? "https" : "http"}://${server.hostname}:${server.port}`,
    ...(metricsServer ? { metrics: `http://${metricsServer.hostname}:${metricsServer.port}/metrics` } : {}),
    database: file,
    config: config.source,
  });
}

await main();
