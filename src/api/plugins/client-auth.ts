/**
 * `auth: true` on a client route resolves the requester from its access token: the
 * `Authorization: Bearer` header, or else the `access_token` query parameter (deprecated since
 * v1.11 but still in the spec, and still sent by older clients and bridges). The header wins when
 * both are present. Neither form is ever logged: the request log writes the path only.
 */
import { Elysia } from "elysia";
import type { AuthService } from "../../services/accounts/access-tokens";
import { clientAddress } from "../http/request-context";

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** The `access_token` query parameter, read from the URL only when there is a query at all. */
function queryToken(url: string): string | undefined {
  if (!url.includes("access_token=")) return undefined;
  return new URL(url).searchParams.get("access_token") || undefined;
}

/** The request's access token: the header's, else the query's. */
export function accessToken(authorization: string | undefined, url: string): string | undefined {
  return bearerToken(authorization) ?? queryToken(url);
}

export const clientAuth = (auth: AuthService) =>
  new Elysia({ name: "client-auth" }).macro({
    auth: {
      resolve({ headers, request }) {
        return { requester: auth.authenticate(accessToken(headers.authorization, request.url), clientAddress(request)) };
      },
    },
  });
