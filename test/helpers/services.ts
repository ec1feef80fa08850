/**
 * Services over an in-memory database with a controllable clock, for service-level tests that
 * need exact control over time or concurrency (HTTP tests use the real server instead).
 */
import { loadConfig } from "../../src/config";
import { buildServices } from "../../src/services";
import type { Clock } from "../../src/runtime/clock";
import { createLogger } from "../../src/runtime/logger";
import { createStorage, openDatabase } from "../../src/storage";

export async function testServices(env: Record<string, string> = {}) {
  let now = 1_700_000_000_000;
  const clock: Clock = { now: () => now };
  const config = await loadConfig({ env: { CONDUIT_RATE_LIMITS_ENABLED: "false", ...env }, warn: () => {} });
  const storage = createStorage(openDatabase(":memory:"));
  const services = buildServices({ config, storage, clock, log: createLogger("error", () => {}) });
  return { services, storage, advance: (ms: number) => (now += ms) };
}
