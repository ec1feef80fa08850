/**
 * Federation request authentication. `federation: true` in a route's options checks the X-Matrix
 * signature and gives the handler `origin`, the requesting server's name (and tells the sender that
 * this server is reachable, so a backed-off queue to it resumes at once). With
 * `allow_federation = false`, every federation and key path answers 403 `M_FORBIDDEN`.
 */
import { Elysia } from "elysia";
import type { JsonValue } from "../../core";
import type { Federation } from "../../services/federation";
import { forbidden } from "../../services/matrix-error";
import { receivedText } from "./json-body";

const FEDERATION_PATHS = ["/_matrix/federation/", "/_matrix/key/"];

/** Path and query exactly as the client sent them (what the origin signed). */
function requestTarget(url: string): string {
  return url.slice(url.indexOf("/", url.indexOf("//") + 2));
}

export const serverAuth = (federation: Federation) =>
  new Elysia({ name: "server-auth" })
    .onRequest(({ request }) => {
      if (federation.enabled) return;
      const target = requestTarget(request.url);
      if (FEDERATION_PATHS.some((p) => target.startsWith(p))) throw forbidden("Federation is disabled on this server");
    })
    .macro({
      federation: {
        async resolve({ request, body }) {
          const hasBody = request.method !== "GET" && request.method !== "DELETE" && request.method !== "HEAD";
          const origin = await federation.authenticateRequest({
            method: request.method,
            uri: requestTarget(request.url),
            authorization: request.headers.get("authorization"),
            content: hasBody ? (body as JsonValue) : undefined,
            contentText: hasBody ? receivedText(request) : undefined,
          });
          federation.outbound.contact(origin);
          return { origin };
        },
      },
    })
    .as("global");
