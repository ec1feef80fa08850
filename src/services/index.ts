/**
 * The composition root: builds every service from the config, storage and clock, wiring their
 * dependencies explicitly. Tests call it with a temporary database and a fake clock.
 */
import type { Config } from "../config";
import type { Storage } from "../storage";
import { createAccountDataService } from "./accounts/account-data";
import { createAccountsService } from "./accounts/users";
import { createDevicesService } from "./accounts/devices";
import { createAccountEvents } from "./accounts/account-events";
import { createPasswordChecker } from "./accounts/passwords";
import { createProfileService } from "./accounts/profile";
import { createAuthService } from "./accounts/access-tokens";
import type { Clock } from "../runtime/clock";
import { createFiltersService } from "./accounts/filters";
import type { Logger } from "../runtime/logger";
import { createNotifier } from "./sync/notifier";
import { createRateLimiter } from "./rate-limit";
import { buildRoomServices } from "./rooms/index";
import { loadOrCreateSigningKey } from "./federation/keys/signing-key";
import { buildSyncServices } from "./sync/index";
import { createUiaService } from "./accounts/uia";
import { createFederation } from "./federation";
import type { SenderWorker } from "../workers/federation-sender/sender";
import type { StateResolver } from "../core";
import { createOutboundEvents } from "./federation/outbound/event-fanout";
import { buildFederationRooms } from "./federation/rooms";

export interface ServiceDeps {
  config: Config;
  storage: Storage;
  clock: Clock;
  log: Logger;
  /** The federation sender worker (main.ts starts it; tests may leave it out). */
  federationSender?: SenderWorker;
  /** State resolution off the main thread (main.ts starts it; without it, resolution runs inline). */
  stateResPool?: StateResolver;
}

export function buildServices(deps: ServiceDeps) {
  const { config, storage, clock } = deps;
  const signingKey = loadOrCreateSigningKey(storage, clock);
  const rateLimits = createRateLimiter(config.rate_limits, clock);
  const passwords = createPasswordChecker(storage, rateLimits, config.server_name);
  const uia = createUiaService({ clock, rateLimits, passwords, registrationToken: config.registration_token });
  const accountEvents = createAccountEvents();
  const notifier = createNotifier();
  const base = {
    ...deps,
    signingKey,
    auth: createAuthService(storage, clock),
    notifier,
    rateLimits,
    accountEvents,
    accounts: createAccountsService({ config, storage, clock, uia, passwords, rateLimits, events: accountEvents }),
    devices: createDevicesService(storage, uia),
    profile: createProfileService(storage, accountEvents, config.server_name),
    filters: createFiltersService(storage),
    accountData: createAccountDataService(storage, notifier),
    federation: createFederation({ ...deps, signingKey, senderWorker: deps.federationSender }),
  };
  const rooms = { ...base, ...buildRoomServices({ ...base, onLocalEvent: createOutboundEvents(base.federation.sender) }) };
  const synced = { ...rooms, ...buildSyncServices(rooms) };
  return { ...synced, federationRooms: buildFederationRooms(synced) };
}
export type Services = ReturnType<typeof buildServices>;
