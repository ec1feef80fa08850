/**
 * Access-token authentication for the client API: a token identifies one device of one user.
 * Tokens are compared by their SHA-256, which is what the database stores. Each authenticated
 * request refreshes its device's `last_seen_ts`/`last_seen_ip`, written at most once a minute per
 * device so that busy clients do not turn every read into a write.
 *
 * Known tokens are cached in memory with the user and device they name, keyed by the token itself
 * (no hash and no token lookup for a busy client; the user's flags are still read, by primary key):
 * bounded in entries, and a user's entries are dropped by every storage write that can end or
 * change their tokens (logout, logout/all, device deletion, password change, guest upgrade,
 * deactivation: `storage.accounts.onTokensChanged`), so a revoked token fails at its next use.
 *
 * An application service's as_token acts as its sender user, or as the user named by `user_id`
 * in its namespace, on the device named by `device_id` if any (spec "Identity assertion", device
 * masquerading since v1.17, MSC4326; MSC3202's unstable parameter too).
 */
import { createHash, randomBytes } from "node:crypto";
import { mayActAs, type Appservice } from "../../core";
import type { Storage } from "../../storage";
import type { UserRow } from "../../storage/accounts";
import type { Clock } from "../../runtime/clock";
import { createLruMap } from "../../runtime/lru-map";
import { MatrixError, forbidden, missingToken, unknownToken, userDeactivated, userSuspended } from "../matrix-error";

export interface Requester {
  userId: string;
  /** "" when an appservice acts as a user without naming a device: operations that need one fail. */
  deviceId: string;
  isGuest: boolean;
  /** Set when the request carried an appservice's as_token. */
  appservice?: {
    id: string;
    /** `rate_limited` of its registration; never for its sender user. */
    rateLimited: boolean;
  };
  /** Set for a locked account: client-auth refuses every endpoint but logout. */
  locked?: true;
  /** Set for a suspended account: the actions the spec forbids it answer M_USER_SUSPENDED. */
  suspended?: true;
  /** Set for a shadow-banned account: its messages and invites are answered but go nowhere. */
  shadowBanned?: true;
}

/** The restrictions an admin put on the account, as the requester carries them. */
const restrictionsOf = (user: { locked: number; suspended: number; shadow_banned: number }): Pick<Requester, "locked" | "suspended" | "shadowBanned"> => ({
  ...(user.locked ? { locked: true } : {}),
  ...(user.suspended ? { suspended: true } : {}),
  ...(user.shadow_banned ? { shadowBanned: true } : {}),
});

/** Refuses a suspended account an action the spec forbids it ("Account suspension"). */
export function assertNotSuspended(requester: Requester, action: string): void {
  if (requester.suspended) throw userSuspended(action);
}

/** Whether the request counts against rate limits: all do but an appservice's with `rate_limited: false`. */
export const isRateLimited = (requester: Requester): boolean => requester.appservice?.rateLimited !== false;

/** Whom an appservice's request claims to act as: the `user_id` and `device_id` query parameters. */
export interface IdentityAssertion {
  userId?: string;
  deviceId?: string;
}

/** Finds the appservice an as_token belongs to (the appservice registry). */
export interface AppserviceTokens {
  byToken(token: string): Appservice | undefined;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new opaque token: 32 random bytes, url-safe base64, with a recognisable prefix. */
export function newAccessToken(): string {
  return `syt_${randomBytes(32).toString("base64url")}`;
}

const LAST_SEEN_INTERVAL_MS = 60_000;
const MAX_REMEMBERED_DEVICES = 10_000;
/** Tokens kept in memory with their user and device: about 200 bytes each, so at most ~2 MB. */
const TOKEN_CACHE_ENTRIES = 10_000;

/** What a token names: the user and device. The user's flags are read at each use, never cached. */
interface TokenDevice {
  userId: string;
  deviceId: string;
}

type UserFlags = Pick<UserRow, "is_guest" | "deactivated" | "locked" | "suspended" | "shadow_banned">;

export function createAuthService(storage: Storage, clock: Clock, appservices: AppserviceTokens) {
  /** Each cached user's cached tokens, so a change to the user drops exactly those. */
  const tokensOf = new Map<string, Set<string>>();
  const forget = (token: string, userId: string) => {
    const tokens = tokensOf.get(userId);
    tokens?.delete(token);
    if (tokens?.size === 0) tokensOf.delete(userId);
  };
  const devices = createLruMap<string, TokenDevice>({ maxEntries: TOKEN_CACHE_ENTRIES, onEvict: (token, owner) => forget(token, owner.userId) });
  storage.accounts.onTokensChanged((userId) => {
    for (const token of tokensOf.get(userId) ?? []) devices.delete(token);
    tokensOf.delete(userId);
  });

  /** The token's user and device, and the user's flags as they are now. */
  function ownerOf(token: string): TokenDevice & { user: UserFlags } {
    const cached = devices.get(token);
    if (cached) {
      // A primary-key read: locks, suspensions and deactivations take effect at once.
      const user = storage.accounts.getUser(cached.userId);
      if (!user) throw unknownToken();
      if (user.deactivated) throw userDeactivated();
      return { ...cached, user };
    }
    const row = storage.accounts.getTokenOwner(hashToken(token));
    if (!row) throw unknownToken();
    if (row.deactivated) throw userDeactivated();
    const owner = { userId: row.user_id, deviceId: row.device_id };
    devices.set(token, owner);
    let tokens = tokensOf.get(owner.userId);
    if (!tokens) tokensOf.set(owner.userId, (tokens = new Set()));
    tokens.add(token);
    return { ...owner, user: row };
  }

  /** When each device's last-seen columns were last written, keyed by user and device. */
  const lastSeenWritten = new Map<string, number>();

  function noteSeen(userId: string, deviceId: string, clientAddress: string | undefined): void {
    const now = clock.now();
    const key = `${userId}\u0000${deviceId}`;
    const written = lastSeenWritten.get(key);
    if (written !== undefined && now - written < LAST_SEEN_INTERVAL_MS) return;
    if (lastSeenWritten.size >= MAX_REMEMBERED_DEVICES) {
      // Entries older than the interval would allow a write anyway: forgetting them changes nothing.
      for (const [k, t] of lastSeenWritten) if (now - t >= LAST_SEEN_INTERVAL_MS) lastSeenWritten.delete(k);
    }
    lastSeenWritten.set(key, now);
    storage.accounts.setDeviceLastSeen(userId, deviceId, now, clientAddress ?? null);
  }

  function actAs(appservice: Appservice, assertion: IdentityAssertion): Requester {
    const { id, rateLimited } = appservice.registration;
    const userId = assertion.userId ?? appservice.senderUserId;
    if (!mayActAs(appservice, userId)) throw forbidden(`The application service ${id} may not act as ${userId}`);
    const user = storage.accounts.getUser(userId);
    if (!user) throw forbidden(`${userId} is not registered; the application service must register it first`);
    if (user.deactivated) throw userDeactivated();
    const { deviceId } = assertion;
    if (deviceId !== undefined && !storage.accounts.getDevice(userId, deviceId)) {
      throw new MatrixError(400, "M_UNKNOWN_DEVICE", `${userId} has no device ${deviceId}`);
    }
    return {
      userId,
      deviceId: deviceId ?? "",
      isGuest: false,
      appservice: { id, rateLimited: rateLimited && userId !== appservice.senderUserId },
      ...restrictionsOf(user),
    };
  }

  return {
    /** The user (and device) a request acts for; `assertion` is read only for an as_token. */
    authenticate(token: string | undefined, clientAddress?: string, assertion: () => IdentityAssertion = () => ({})): Requester {
      if (!token) throw missingToken();
      const appservice = appservices.byToken(token);
      if (appservice) return actAs(appservice, assertion());
      const { userId, deviceId, user } = ownerOf(token);
      noteSeen(userId, deviceId, clientAddress);
      return { userId, deviceId, isGuest: user.is_guest === 1, ...restrictionsOf(user) };
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
