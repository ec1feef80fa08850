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
import { createFederation } from "./federation";

export interface ServiceDeps {
  config: Config;
  storage: Storage;
  clock: Clock;
  log: Logger;
}

export function buildServices(deps: ServiceDeps) {
  const { storage, clock } = deps;
  const signingKey = loadOrCreateSigningKey(storage, clock);
  return {
    ...deps,
    signingKey,
    auth: createAuthService(storage),
    notifier: createNotifier(),
    federation: createFederation({ ...deps, signingKey }),
  };
}
export type Services = ReturnType<typeof buildServices>;
