/**
 * `auth: true` on a client route resolves the requester from its access token: the
 * `Authorization: Bearer` header, or else the `access_token` query parameter (deprecated since
 * v1.11 but still in the spec, and still sent by older clients and bridges). The header wins when
 * both are present. Neither form is ever logged: the request log writes the path only. With an
 * appservice's as_token, `user_id` and `device_id` (or MSC3202's unstable name) in the query say
 * whom it acts as. Guest accounts reach only the endpoints the spec allows them (403
 * `M_GUEST_ACCESS_FORBIDDEN` elsewhere). A locked account may only log out (401 `M_USER_LOCKED`).
 */
import { Elysia } from "elysia";
import type { AuthService, IdentityAssertion } from "../../services/accounts/access-tokens";
import { clientAddress } from "../http/request-context";
import { guestAccessForbidden, userLocked } from "../../services/matrix-error";

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

/**
 * What guest accounts may call (spec "Guest access", client behaviour), as `METHOD route` with
 * path parameters written `{}`. Besides the spec's list: `POST /join/{roomIdOrAlias}`, the other
 * form of joining a room. Profile writes are further limited to the display name, and `/events`
 * to room previews (with `room_id`), below.
 */
const GUEST_ROUTES: readonly string[] = [
  // Reading rooms and their events (and media).
  "GET /_matrix/client/v3/rooms/{}/state",
  "GET /_matrix/client/v3/rooms/{}/context/{}",
  "GET /_matrix/client/v3/rooms/{}/event/{}",
  "GET /_matrix/client/v3/rooms/{}/state/{}/{}",
  "GET /_matrix/client/v3/rooms/{}/state/{}",
  "GET /_matrix/client/v3/rooms/{}/messages",
  "GET /_matrix/client/v3/rooms/{}/members",
  "GET /_matrix/client/v3/rooms/{}/initialSync",
  "GET /_matrix/client/v3/sync",
  "GET /_matrix/client/v3/events",
  "GET /_matrix/client/v1/media/download/{}/{}",
  "GET /_matrix/client/v1/media/download/{}/{}/{}",
  "GET /_matrix/client/v1/media/thumbnail/{}/{}",
  // Sending events.
  "POST /_matrix/client/v3/rooms/{}/join",
  "POST /_matrix/client/v3/join/{}",
  "POST /_matrix/client/v3/rooms/{}/leave",
  "PUT /_matrix/client/v3/rooms/{}/send/{}/{}",
  "PUT /_matrix/client/v3/rooms/{}/state/{}/{}",
  "PUT /_matrix/client/v3/rooms/{}/state/{}",
  "PUT /_matrix/client/v3/sendToDevice/{}/{}",
  // Their own account.
  "PUT /_matrix/client/v3/profile/{}/{}",
  "DELETE /_matrix/client/v3/profile/{}/{}",
  "GET /_matrix/client/v3/devices",
  "GET /_matrix/client/v3/devices/{}",
  "PUT /_matrix/client/v3/devices/{}",
  "GET /_matrix/client/v3/account/whoami",
  // End-to-end encryption.
  "POST /_matrix/client/v3/keys/upload",
  "POST /_matrix/client/v3/keys/query",
  "POST /_matrix/client/v3/keys/claim",
  // MSC4140: delayed events are open to guests, so they can take part in MatrixRTC calls.
  "PUT /_matrix/client/unstable/org.matrix.msc4140/rooms/{}/delayed_event/{}/{}",
  "GET /_matrix/client/unstable/org.matrix.msc4140/delayed_events",
  "GET /_matrix/client/unstable/org.matrix.msc4140/delayed_events/{}",
  "POST /_matrix/client/unstable/org.matrix.msc4140/delayed_events/{}",
  "POST /_matrix/client/unstable/org.matrix.msc4140/delayed_events/{}/{}",
];

/** The same, as one matcher per entry: `{}` is one path segment (the last may be empty: `/state/{type}/`). */
const guestRoutes = GUEST_ROUTES.map((entry) => {
  const [method, path] = entry.split(" ") as [string, string];
  return { method, path, pattern: new RegExp(`^${path.replaceAll("{}", "[^/]+")}/?$`) };
});

/**
 * Whether a guest may make this request: the spec's list above, with its two narrower rules. Read
 * from the URL itself (a legacy r0 path arrives here rewritten to v3).
 */
export function guestMayCall(method: string, url: string): boolean {
  const { pathname, searchParams } = new URL(url);
  const route = guestRoutes.find((r) => r.method === method && r.pattern.test(pathname));
  if (!route) return false;
  if (route.path.endsWith("/profile/{}/{}")) return decodeURIComponent(pathname.slice(pathname.lastIndexOf("/") + 1)) === "displayname";
  if (route.path === "/_matrix/client/v3/events") return searchParams.has("room_id");
  return true;
}

/** What a locked account may still do (spec "Account locking": servers may let it log out). */
const LOCKED_MAY_CALL = new Set(["/_matrix/client/v3/logout", "/_matrix/client/v3/logout/all"]);

export const clientAuth = (auth: AuthService) => {
  // From `request`, not Elysia's parsed `headers`: the compiled (minified) bundle can hide the
  // use of `headers` from Elysia's analysis, which then leaves them out for some routes.
  const requesterOf = (request: Request, token: string | undefined) => {
    const requester = auth.authenticate(token, clientAddress(request), () => identityAssertion(request));
    if (requester.locked && !(request.method === "POST" && LOCKED_MAY_CALL.has(new URL(request.url).pathname))) throw userLocked();
    if (requester.isGuest && !guestMayCall(request.method, request.url)) throw guestAccessForbidden("Guest accounts may not use this endpoint");
    return requester;
  };
  const tokenOf = (request: Request) => accessToken(request.headers.get("authorization") ?? undefined, request.url);
  return new Elysia({ name: "client-auth" }).macro({
    auth: {
      resolve: ({ request }) => ({ requester: requesterOf(request, tokenOf(request)) }),
    },
    /** The requester when the request carries a token (then it must be valid), else undefined. */
    optionalAuth: {
      resolve({ request }) {
        const token = tokenOf(request);
        return { requester: token === undefined ? undefined : requesterOf(request, token) };
      },
    },
  });
};
