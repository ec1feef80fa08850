/**
 * What the composition root hands every area: each area's `buildX(deps)` picks the part it uses
 * (`Pick<SharedDeps, "config" | "storage">`) and adds the areas it is built over.
 */
import type { Config } from "../config";
import type { SigningKey } from "../core";
import type { Clock } from "../runtime/clock";
import type { Logger } from "../runtime/logger";
import type { Storage } from "../storage";
import type { AppserviceRegistry } from "./appservices/registry";
import type { RateLimiter } from "./rate-limit";
import type { Notifier } from "./sync/notifier";

export interface SharedDeps {
  config: Config;
  storage: Storage;
  clock: Clock;
  log: Logger;
  signingKey: SigningKey;
  /** Request budgets per client and action. */
  rateLimits: RateLimiter;
  /** Wakes the long-polling `/sync` of the users an update concerns. */
  notifier: Notifier;
  /** The application services: who owns which names, whose an as_token is. */
  appserviceRegistry: AppserviceRegistry;
}
