/**
 * Wires the accounts area: users (registration, login, passwords, deactivation), access tokens,
 * devices, profiles, user-interactive auth, filters, account data and OpenID tokens.
 */
import { createAuthService } from "./access-tokens";
import { createAccountDataService } from "./account-data";
import { createAccountEvents } from "./account-events";
import { createDeviceChanges } from "./device-changes";
import { createDevicesService } from "./devices";
import { createFiltersService } from "./filters";
import { createOpenIdService } from "./openid";
import { createPasswordChecker } from "./passwords";
import { createProfileService } from "./profile";
import type { SharedDeps } from "../shared-deps";
import { createUiaService } from "./uia";
import { createAccountsService } from "./users";

export type AccountsDeps = Pick<SharedDeps, "config" | "storage" | "clock" | "rateLimits" | "notifier" | "appserviceRegistry">;

export function buildAccounts(deps: AccountsDeps) {
  const { config, storage, clock, rateLimits } = deps;
  const passwords = createPasswordChecker(storage, rateLimits, config.server_name);
  const uia = createUiaService({ clock, rateLimits, passwords, registrationToken: config.registration_token, storedTokens: storage.registrationTokens });
  const events = createAccountEvents();
  const deviceChanges = createDeviceChanges();
  return {
    /** Access tokens: who a request is from. */
    tokens: createAuthService(storage, clock, deps.appserviceRegistry),
    /** Profile changes and deactivations, for the areas that follow them (membership). */
    events,
    /** Devices deleted or renamed, inside the changing transaction (E2EE announces them). */
    deviceChanges,
    /** User-interactive auth, for the areas whose endpoints ask for the password again. */
    uia,
    users: createAccountsService({ config, storage, clock, uia, passwords, rateLimits, events, deviceChanges, appservices: deps.appserviceRegistry }),
    devices: createDevicesService(storage, uia, clock, deviceChanges),
    profile: createProfileService(storage, events, config.server_name),
    filters: createFiltersService(storage),
    accountData: createAccountDataService(storage, deps.notifier),
    openId: createOpenIdService({ storage, clock, serverName: config.server_name }),
  };
}
export type Accounts = ReturnType<typeof buildAccounts>;
