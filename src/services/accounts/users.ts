/**
 * Accounts and sessions: registration (behind UIA, with a registration token when configured),
 * guest accounts (spec "Guest access": without a password, when `allow_guest_registration` is on,
 * and upgraded to full accounts by registering with the guest's token), password login, logout,
 * password change and deactivation. A session is one device with one
 * access token; logging in again with a known device id replaces that device's token. All of a
 * request's writes commit together, so a registration that loses a race for its user id leaves
 * nothing behind and issues no token.
 *
 * Application services register and log in their users with `m.login.application_service` and
 * their as_token, inside their namespaces only; nobody else may take a name an appservice holds
 * exclusively (spec "Server admin style permissions": M_EXCLUSIVE both ways).
 */
import type { Config } from "../../config";
import { isAppserviceLocalpart, mayActAs, MAX_ID_BYTES, utf8Length } from "../../core";
import type { AppserviceRegistry } from "../appservices/registry";
import type { Storage } from "../../storage";
import type { AccountEvents } from "./account-events";
import type { DeviceChanges } from "./device-changes";
import { hashPassword, type PasswordChecker } from "./passwords";
import { generateDeviceId, generateLocalpart, invalidUsername, localpartFromUsername, userIdFor } from "./user-ids";
import { hashToken, newAccessToken, type Requester } from "./access-tokens";
import type { Clock } from "../../runtime/clock";
import { MatrixError, exclusive, forbidden, invalidParam, missingParam, missingToken, unknownToken, userDeactivated } from "../matrix-error";
import type { RateLimiter } from "../rate-limit";
import { LOGIN_DUMMY, LOGIN_PASSWORD, LOGIN_REGISTRATION_TOKEN, type Flow, type UiaService } from "./uia";

export const userInUse = () => new MatrixError(400, "M_USER_IN_USE", "This user id is already taken");

/** The login and registration type of application services. */
export const LOGIN_APPSERVICE = "m.login.application_service";

/** Where a request came from, for UIA session binding and per-address rate limits. */
export interface RequestContext {
  /** Method and path, e.g. `POST /_matrix/client/v3/register`. */
  operation: string;
  clientAddress: string;
}

export interface RegisterParams {
  kind: "user" | "guest";
  /** `m.login.application_service` for an appservice's registration (with `appserviceToken`). */
  type?: string;
  /** The request's access token: only an appservice's registration carries one. */
  appserviceToken?: string;
  username?: string;
  password?: string;
  deviceId?: string;
  initialDeviceDisplayName?: string;
  inhibitLogin?: boolean;
  auth?: unknown;
  /** A guest upgrading to a full account: its access token (and `username` its localpart). */
  guestAccessToken?: string;
}

/** The fields of a registration request that are its own (not the UIA dance's), as given. */
function ownFields(params: RegisterParams): Partial<RegisterParams> {
  const { username, password, deviceId, initialDeviceDisplayName, inhibitLogin } = params;
  const fields: Partial<RegisterParams> = { username, password, deviceId, initialDeviceDisplayName, inhibitLogin };
  for (const key of Object.keys(fields) as (keyof RegisterParams)[]) if (fields[key] === undefined) delete fields[key];
  return fields;
}

export interface LoginParams {
  type: string;
  /** The request's access token, which `m.login.application_service` needs. */
  appserviceToken?: string;
  identifier?: unknown;
  user?: string;
  password?: string;
  deviceId?: string;
  initialDeviceDisplayName?: string;
}

export interface SessionResponse {
  user_id: string;
  access_token: string;
  device_id: string;
  /** Deprecated by the spec, still read by clients. */
  home_server: string;
}

/** With `inhibit_login`, registration answers without a device or token. */
export type RegisterResponse = SessionResponse | { user_id: string; home_server: string };

/** Device ids end up in keys and URLs; the spec gives no limit, we keep them as short as user ids. */
const MAX_DEVICE_ID_BYTES = 255;
/** A generated localpart colliding is unlikely; a few retries make it impossible in practice. */
const GENERATED_LOCALPART_ATTEMPTS = 5;

/** Password login, and application services' login; token and SSO logins are not offered. */
export const LOGIN_FLOWS = [{ type: LOGIN_PASSWORD }, { type: LOGIN_APPSERVICE }] as const;
/** UIA for an account's own sensitive operations: its password again. */
export const REAUTH_FLOWS: readonly Flow[] = [[LOGIN_PASSWORD]];

export interface AccountsDeps {
  config: Config;
  storage: Storage;
  clock: Clock;
  uia: UiaService;
  passwords: PasswordChecker;
  rateLimits: RateLimiter;
  events: AccountEvents;
  appservices: Pick<AppserviceRegistry, "byToken" | "exclusiveOwner">;
  deviceChanges: DeviceChanges;
}

export function createAccountsService({ config, storage, clock, uia, passwords, rateLimits, events, appservices, deviceChanges }: AccountsDeps) {
  const serverName = config.server_name;
  // A token is asked for when one is configured or admins made some (they can be made at any time).
  const registrationFlows = (): readonly Flow[] => [[uia.tokenRequired() ? LOGIN_REGISTRATION_TOKEN : LOGIN_DUMMY]];

  function checkDeviceId(deviceId: string | undefined): void {
    if (deviceId !== undefined && (deviceId === "" || Buffer.byteLength(deviceId) > MAX_DEVICE_ID_BYTES)) {
      throw invalidParam(`device_id must be 1 to ${MAX_DEVICE_ID_BYTES} bytes long`);
    }
  }

  /** Creates the device if new (else keeps its name) and gives it a fresh token; call inside a transaction. */
  function issueSession(userId: string, deviceId: string | undefined, displayName: string | undefined): SessionResponse {
    const device = deviceId ?? generateDeviceId();
    const token = newAccessToken();
    const now = clock.now();
    // A new device is a device-list change, keys or not (as in Synapse): others learn of it.
    if (storage.accounts.ensureDevice(userId, device, displayName ?? null, now)) deviceChanges.emit({ userId, deviceIds: [device], kind: "created" });
    // The spec lets a login with a known device id invalidate that device's earlier tokens.
    storage.accounts.deleteDeviceTokens(userId, device);
    storage.accounts.insertToken(hashToken(token), userId, device, now);
    return { user_id: userId, access_token: token, device_id: device, home_server: serverName };
  }

  function assertRegistrationAllowed(): void {
    if (!config.allow_registration) throw forbidden("Registration is disabled on this homeserver");
  }

  /** An appservice holds this user id exclusively: others may not register it. */
  function checkNotReserved(userId: string): void {
    const owner = appservices.exclusiveOwner("users", userId);
    if (owner) throw exclusive(`${userId} is reserved by the application service ${owner.registration.id}`);
  }

  /** The appservice whose as_token a request carries: 401 without one, as for any bad token. */
  function appserviceOf(token: string | undefined) {
    if (!token) throw missingToken();
    const appservice = appservices.byToken(token);
    if (!appservice) throw unknownToken();
    return appservice;
  }

  /**
   * `m.login.application_service` registration: no UIA, no password, open even when registration
   * is closed, and within the appservice's namespace only. Its rate limit is the appservice's.
   */
  function registerForAppservice(params: RegisterParams): RegisterResponse {
    const appservice = appserviceOf(params.appserviceToken);
    if (params.username === undefined) throw missingParam("Missing 'username'");
    const localpart = params.username;
    if (!isAppserviceLocalpart(localpart)) throw invalidUsername("User ids of an application service may only contain letters, digits and . _ = - / +");
    const userId = userIdFor(localpart, serverName);
    if (utf8Length(userId) > MAX_ID_BYTES) throw invalidUsername(`User ids are at most ${MAX_ID_BYTES} bytes long`);
    if (!mayActAs(appservice, userId)) throw exclusive(`${userId} is outside the namespace of the application service ${appservice.registration.id}`);
    const owner = appservices.exclusiveOwner("users", userId);
    if (owner && owner !== appservice) throw exclusive(`${userId} is reserved by the application service ${owner.registration.id}`);
    checkDeviceId(params.deviceId);
    const response = createAccount(userId, null, params);
    if (!response) throw userInUse();
    return response;
  }

  const localpartOf = (userId: string) => userId.slice(1, userId.indexOf(":"));

  /** Inserts the user, then logs in unless inhibited; undefined when the user id is taken. Guests have no password. */
  function createAccount(userId: string, passwordHash: string | null, params: RegisterParams): RegisterResponse | undefined {
    return storage.transaction(() => {
      const created = storage.accounts.insertUser({
        userId,
        passwordHash,
        // Registration sets the display name to the localpart, as the spec's examples and Synapse do.
        displayname: localpartOf(userId),
        isGuest: params.kind === "guest",
        createdTs: clock.now(),
      });
      if (!created) return undefined;
      if (params.inhibitLogin) return { user_id: userId, home_server: serverName };
      return issueSession(userId, params.deviceId, params.initialDeviceDisplayName);
    });
  }

  /** `m.login.application_service` login: a new session for a registered user of the appservice's namespace. */
  function loginForAppservice(params: LoginParams): SessionResponse {
    const appservice = appserviceOf(params.appserviceToken);
    const identifier = params.identifier as { type?: unknown; user?: unknown } | undefined;
    const user = identifier?.type === "m.id.user" ? identifier.user : params.user;
    if (typeof user !== "string") throw missingParam("An m.id.user identifier is needed");
    // Appservice users keep the case their appservice gave them: no folding here.
    const userId = user.startsWith("@") ? user : userIdFor(user, serverName);
    if (!mayActAs(appservice, userId)) throw exclusive(`${userId} is outside the namespace of the application service ${appservice.registration.id}`, 403);
    const row = storage.accounts.getUser(userId);
    if (!row) throw forbidden(`${userId} is not registered`);
    if (row.deactivated) throw userDeactivated();
    checkDeviceId(params.deviceId);
    return storage.transaction(() => issueSession(userId, params.deviceId, params.initialDeviceDisplayName));
  }

  /** Creates an account under a fresh localpart no appservice reserves (retrying the unlikely collision). */
  function createWithGeneratedId(passwordHash: string | null, params: RegisterParams): RegisterResponse | undefined {
    let response: RegisterResponse | undefined;
    for (let i = 0; i < GENERATED_LOCALPART_ATTEMPTS && !response; i++) {
      const userId = userIdFor(generateLocalpart(), serverName);
      if (!appservices.exclusiveOwner("users", userId)) response = createAccount(userId, passwordHash, params);
    }
    return response;
  }

  /** `POST /register?kind=guest`: an account without password or UIA. */
  function registerGuest(params: RegisterParams, ctx: RequestContext): RegisterResponse {
    if (!config.allow_guest_registration) throw forbidden("Guest access is not enabled on this homeserver");
    rateLimits.check("register", ctx.clientAddress);
    checkDeviceId(params.deviceId);
    const response = createWithGeneratedId(null, params);
    if (!response) throw userInUse();
    rateLimits.record("register", ctx.clientAddress);
    return response;
  }

  /** The guest a `guest_access_token` belongs to, which must be the `username` being registered. */
  function guestToUpgrade(token: string, localpart: string | undefined): string {
    if (localpart === undefined) throw missingParam("Upgrading a guest needs its localpart as 'username'");
    const owner = storage.accounts.getTokenOwner(hashToken(token));
    if (!owner || owner.is_guest !== 1 || owner.user_id !== userIdFor(localpart, serverName)) {
      throw forbidden("guest_access_token does not belong to a guest with this username");
    }
    return owner.user_id;
  }

  /** The guest keeps its user id, rooms and devices, and gets a password and a new session. */
  function upgradeGuest(userId: string, passwordHash: string, params: RegisterParams): RegisterResponse {
    return storage.transaction(() => {
      if (!storage.accounts.upgradeGuest(userId, passwordHash)) throw userInUse();
      if (params.inhibitLogin) return { user_id: userId, home_server: serverName };
      return issueSession(userId, params.deviceId, params.initialDeviceDisplayName);
    });
  }

  /** No more logins: devices, tokens (OpenID ones too), password and profile go. */
  function deactivateAccount(userId: string): void {
    storage.transaction(() => {
      storage.accounts.deactivateUser(userId);
      deviceChanges.emit({ userId, deviceIds: storage.accounts.deleteAllDevices(userId), kind: "deleted" });
      storage.openIdTokens.deleteForUser(userId);
    });
  }

  return {
    /** `POST /register`: user-id checks come before UIA, as the spec requires. */
    async register(params: RegisterParams, ctx: RequestContext): Promise<RegisterResponse> {
      if (params.type === LOGIN_APPSERVICE && params.kind === "user") return registerForAppservice(params);
      if (params.kind === "guest") return registerGuest(params, ctx);
      assertRegistrationAllowed();
      const uiaRequest = { operation: ctx.operation, auth: params.auth, clientAddress: ctx.clientAddress, params: ownFields(params) };
      // A retry of a finished registration (its answer was lost) gets the same account, logged in again.
      const registered = uia.outcomeOf(uiaRequest);
      if (typeof registered === "string") {
        if (params.inhibitLogin) return { user_id: registered, home_server: serverName };
        return storage.transaction(() => issueSession(registered, params.deviceId, params.initialDeviceDisplayName));
      }
      // A later request of the dance may carry only `auth`: the first request's fields stand (as in Synapse).
      const remembered = uia.rememberedParams(uiaRequest) as Partial<RegisterParams> | undefined;
      if (remembered && Object.keys(ownFields(params)).length === 0) params = { ...params, ...remembered };
      rateLimits.check("register", ctx.clientAddress);
      checkDeviceId(params.deviceId);
      const localpart = params.username === undefined ? undefined : localpartFromUsername(params.username, serverName);
      const guest = params.guestAccessToken === undefined ? undefined : guestToUpgrade(params.guestAccessToken, localpart);
      if (localpart !== undefined && !guest) {
        checkNotReserved(userIdFor(localpart, serverName));
        if (storage.accounts.getUser(userIdFor(localpart, serverName))) throw userInUse();
      }

      return uia.run(uiaRequest, registrationFlows(), async () => {
        if (params.password === undefined) throw missingParam("Missing 'password'");
        const passwordHash = await hashPassword(params.password);
        let response: RegisterResponse | undefined;
        if (guest) response = upgradeGuest(guest, passwordHash, params);
        // Another registration may have taken the name while we hashed: the insert is the arbiter.
        else if (localpart !== undefined) response = createAccount(userIdFor(localpart, serverName), passwordHash, params);
        else response = createWithGeneratedId(passwordHash, params);
        if (!response) throw userInUse();
        rateLimits.record("register", ctx.clientAddress);
        return response;
      }, (response) => response.user_id);
    },

    /** `GET /register/available` */
    usernameAvailable(username: string): { available: true } {
      assertRegistrationAllowed();
      const localpart = localpartFromUsername(username, serverName);
      checkNotReserved(userIdFor(localpart, serverName));
      if (storage.accounts.getUser(userIdFor(localpart, serverName))) throw userInUse();
      return { available: true };
    },

    /** `GET /register/m.login.registration_token/validity` */
    registrationTokenValidity(token: string, clientAddress: string): { valid: boolean } {
      assertRegistrationAllowed();
      return { valid: uia.registrationTokenValid(token, clientAddress) };
    },

    /** `POST /login` with `m.login.password`, or an appservice's `m.login.application_service`. */
    async login(params: LoginParams, clientAddress: string): Promise<SessionResponse> {
      if (params.type === LOGIN_APPSERVICE) return loginForAppservice(params);
      if (params.type !== LOGIN_PASSWORD) throw new MatrixError(400, "M_UNKNOWN", `Login type '${params.type}' is not supported`);
      checkDeviceId(params.deviceId);
      const userId = await passwords.check(params, clientAddress);
      return storage.transaction(() => issueSession(userId, params.deviceId, params.initialDeviceDisplayName));
    },

    /** `POST /logout`: the device goes, and its token with it. */
    logout(requester: Requester): void {
      const { userId, deviceId } = requester;
      storage.transaction(() => {
        if (storage.accounts.deleteDevice(userId, deviceId)) deviceChanges.emit({ userId, deviceIds: [deviceId], kind: "deleted" });
      });
    },

    /** `POST /logout/all` */
    logoutAll(requester: Requester): void {
      const { userId } = requester;
      storage.transaction(() => deviceChanges.emit({ userId, deviceIds: storage.accounts.deleteAllDevices(userId), kind: "deleted" }));
    },

    /** `POST /account/password`; `logout_devices` (default true) logs out every other device. */
    async changePassword(
      requester: Requester,
      params: { newPassword: string; logoutDevices?: boolean; auth?: unknown },
      ctx: RequestContext,
    ): Promise<void> {
      const uiaRequest = { ...ctx, userId: requester.userId, auth: params.auth };
      await uia.run(uiaRequest, REAUTH_FLOWS, async () => {
        const hash = await hashPassword(params.newPassword);
        storage.transaction(() => {
          storage.accounts.setPasswordHash(requester.userId, hash);
          if (params.logoutDevices ?? true) {
            const deleted = storage.accounts.deleteDevicesExcept(requester.userId, requester.deviceId);
            deviceChanges.emit({ userId: requester.userId, deviceIds: deleted, kind: "deleted" });
          }
        });
      });
    },

    /**
     * `POST /account/deactivate`: no more logins, every device and token (OpenID ones too) gone, profile cleared.
     * No third-party identifiers are ever bound here, so there is nothing to unbind ("success").
     * An appservice deactivating a user of its namespace needs no UIA (its users have no password), as in Synapse.
     */
    async deactivate(requester: Requester, auth: unknown, ctx: RequestContext) {
      if (requester.appservice) deactivateAccount(requester.userId);
      else await uia.run({ ...ctx, userId: requester.userId, auth }, REAUTH_FLOWS, () => deactivateAccount(requester.userId));
      await events.emit({ type: "deactivated", userId: requester.userId });
      return { id_server_unbind_result: "success" as const };
    },

    /** Deactivation without UIA, for admins: the same effects, rooms left included. */
    async deactivateByAdmin(userId: string): Promise<void> {
      deactivateAccount(userId);
      await events.emit({ type: "deactivated", userId });
    },

    /** A new password set by an admin; `logoutDevices` ends every session. */
    async resetPassword(userId: string, newPassword: string, logoutDevices: boolean): Promise<void> {
      const hash = await hashPassword(newPassword);
      storage.transaction(() => {
        storage.accounts.setPasswordHash(userId, hash);
        if (logoutDevices) deviceChanges.emit({ userId, deviceIds: storage.accounts.deleteAllDevices(userId), kind: "deleted" });
      });
    },
  };
}
export type AccountsService = ReturnType<typeof createAccountsService>;
