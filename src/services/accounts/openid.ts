/**
 * OpenID (client-server "OpenID", server-server "OpenID"): a user asks for a short-lived token
 * to hand to a third party (a widget, Element Call's LiveKit service), which asks this server's
 * `/openid/userinfo` whom it names. The token proves nothing else and opens nothing else.
 */
import { randomBytes } from "node:crypto";
import type { Storage } from "../../storage";
import type { Clock } from "../../runtime/clock";
import { hashToken, type Requester } from "./access-tokens";
import { forbidden, MatrixError } from "../matrix-error";

/** How long a third party may use the token (Synapse's figure). */
const OPENID_TOKEN_LIFETIME_MS = 3_600_000;

export function createOpenIdService(deps: { storage: Storage; clock: Clock; serverName: string }) {
  const { storage, clock, serverName } = deps;
  return {
    /** POST /user/{userId}/openid/request_token: only for yourself. */
    requestToken(requester: Requester, userId: string) {
      if (requester.userId !== userId) throw forbidden("You can only request an OpenID token for yourself");
      const token = randomBytes(32).toString("base64url");
      const now = clock.now();
      storage.openIdTokens.insert(hashToken(token), userId, now + OPENID_TOKEN_LIFETIME_MS, now);
      return { access_token: token, token_type: "Bearer", matrix_server_name: serverName, expires_in: OPENID_TOKEN_LIFETIME_MS / 1000 };
    },

    /** GET /openid/userinfo (federation, unauthenticated): the user an unexpired token names. */
    userInfo(token: string | undefined): { sub: string } {
      const userId = token ? storage.openIdTokens.userFor(hashToken(token), clock.now()) : null;
      if (!userId || storage.accounts.getUser(userId)?.deactivated) {
        throw new MatrixError(401, "M_UNKNOWN_TOKEN", "The OpenID token is not known or has expired");
      }
      return { sub: userId };
    },
  };
}
export type OpenIdService = ReturnType<typeof createOpenIdService>;
