/**
 * `auth: true` on a client route resolves the requester from its access token: the
 * `Authorization: Bearer` header, or else the `access_token` query parameter (deprecated since
 * v1.11 but still in the spec, and still sent by older clients and bridges). The header wins when
 * both are present. Neither form is ever logged: the request log writes the path only. With an
 * appservice's as_token, `user_id` and `device_id` (or MSC3202's unstable name) in the query say
 * whom it acts as.
 */
import { Elysia } from "elysia";
import type { AuthService, IdentityAssertion } from "../../services/accounts/access-tokens";
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

/** Read from the raw URL: a route's own query schema may not list these parameters. */
function identityAssertion(request: Request): IdentityAssertion {
  const query = new URL(request.url).searchParams;
  const text = (name: string) => query.get(name) ?? undefined;
  return { userId: text("user_id"), deviceId: text("device_id") ?? text("org.matrix.msc3202.device_id") };
}

export const clientAuth = (auth: AuthService) =>
  new Elysia({ name: "client-auth" }).macro({
    auth: {
      // From `request`, not Elysia's parsed `headers`: the compiled (minified) bundle can hide the
      // use of `headers` from Elysia's analysis, which then leaves them out for some routes.
      resolve({ request }) {
        const authorization = request.headers.get("authorization") ?? undefined;
        return { requester: auth.authenticate(accessToken(authorization, request.url), clientAddress(request), () => identityAssertion(request)) };
      },
    },
  });
