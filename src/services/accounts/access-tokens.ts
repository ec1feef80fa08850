/**
 * Access-token authentication for the client API: a token identifies one device of one user.
 * Tokens are compared by their SHA-256, which is what the database stores. Each authenticated
 * request refreshes its device's `last_seen_ts`/`last_seen_ip`, written at most once a minute per
 * device so that busy clients do not turn every read into a write.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Storage } from "../../storage";
import type { Clock } from "../../runtime/clock";
import { missingToken, unknownToken, userDeactivated } from "../matrix-error";

export interface Requester {
  userId: string;
  deviceId: string;
  isGuest: boolean;
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

export function createAuthService(storage: Storage, clock: Clock) {
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

  return {
    authenticate(token: string | undefined, clientAddress?: string): Requester {
      if (!token) throw missingToken();
      const owner = storage.accounts.getTokenOwner(hashToken(token));
      if (!owner) throw unknownToken();
      if (owner.deactivated) throw userDeactivated();
      noteSeen(owner.user_id, owner.device_id, clientAddress);
      return { userId: owner.user_id, deviceId: owner.device_id, isGuest: owner.is_guest === 1 };
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
