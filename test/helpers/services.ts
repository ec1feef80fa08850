/**
 * Services over an in-memory database with a fake clock (`advance(ms)` runs the timers due), for
 * service-level tests that need exact control over time or concurrency (HTTP tests use the real
 * server instead).
 */
import { loadConfig } from "../../src/config";
import { buildServices } from "../../src/services";
import { createFakeClock } from "../../src/runtime/clock";
import { createLogger } from "../../src/runtime/logger";
import { loadOrCreateSigningKey } from "../../src/services/federation/keys/signing-key";
import { createStorage, openDatabase } from "../../src/storage";
import { createFederationSender } from "../../src/workers/federation-sender/sender";
import { createThumbnailer } from "../../src/workers/thumbnailer/pool";

export async function testServices(env: Record<string, string> = {}) {
  const clock = createFakeClock();
  const config = await loadConfig({ env: { CONDUIT_RATE_LIMITS_ENABLED: "false", ...env }, warn: () => {} });
  const storage = createStorage(openDatabase(":memory:"));
  const log = createLogger("error", () => {});
  const signingKey = loadOrCreateSigningKey(storage, clock);
  // No sender worker: what is queued for other servers stays in the queue.
  const outbound = createFederationSender({ config, storage, clock, log, signingKey });
  const services = buildServices({ config, storage, clock, log, signingKey, outbound, thumbnailer: createThumbnailer() });
  return { services, storage, signingKey, clock, advance: clock.advance };
}
