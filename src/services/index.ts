/**
 * The composition root: builds every service from the config, storage and clock, wiring their
 * dependencies explicitly. Tests call it with a temporary database and a fake clock.
 */
import type { Config } from "../config";
import type { Storage } from "../storage";
import { createAuthService } from "./auth";
import type { Clock } from "./clock";
import type { Logger } from "./logger";
import { createNotifier } from "./notifier";
import { loadOrCreateSigningKey } from "./server-keys";

export interface ServiceDeps {
  config: Config;
  storage: Storage;
  clock: Clock;
  log: Logger;
}

export function buildServices(deps: ServiceDeps) {
  const { storage, clock } = deps;
  return {
    ...deps,
    signingKey: loadOrCreateSigningKey(storage, clock),
    auth: createAuthService(storage),
    notifier: createNotifier(),
  };
}
export type Services = ReturnType<typeof buildServices>;
