/**
 * Access-token authentication for the client API: a token identifies one device of one user.
 * Tokens are compared by their SHA-256, which is what the database stores.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Storage } from "../storage";
import { missingToken, unknownToken, userDeactivated } from "./matrix-error";

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

export function createAuthService(storage: Storage) {
  return {
    authenticate(token: string | undefined): Requester {
      if (!token) throw missingToken();
      const owner = storage.accounts.getTokenOwner(hashToken(token));
      if (!owner) throw unknownToken();
      if (owner.deactivated) throw userDeactivated();
      return { userId: owner.user_id, deviceId: owner.device_id, isGuest: owner.is_guest === 1 };
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
