/**
 * `auth: true` on a client route resolves the requester from `Authorization: Bearer <token>`.
 * Tokens are accepted only in that header (query-string tokens leak into logs and proxies).
 */
import { Elysia } from "elysia";
import type { AuthService } from "../../services/accounts/access-tokens";
import { clientAddress } from "../http/request-context";

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export const clientAuth = (auth: AuthService) =>
  new Elysia({ name: "client-auth" }).macro({
    auth: {
      resolve({ headers, request }) {
        return { requester: auth.authenticate(bearerToken(headers.authorization), clientAddress(request)) };
      },
    },
  });
