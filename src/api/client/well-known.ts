/**
 * GET /.well-known/matrix/client — https://spec.matrix.org/v1.19/client-server-api/#well-known-uris
 * GET /.well-known/matrix/server — https://spec.matrix.org/v1.19/server-server-api/#getwell-knownmatrixserver
 * Discovery documents: where clients find the client API and servers find the federation API.
 * Defaults follow `server_name` and `[global.well_known]`; `[global.matrix_rtc] foci` are published
 * for Element Call as `org.matrix.msc4143.rtc_foci`.
 */
import { Elysia } from "elysia";
import type { Config } from "../../config";
import { notFound } from "../../services/matrix-error";

export const wellKnownRoutes = (config: Config) => {
  const client = config.well_known.client;
  // As Conduit does: unless configured, servers are sent to the server name on port 443, where the
  // reverse proxy that serves clients also forwards federation.
  const server = config.well_known.server ?? `${config.server_name}:443`;
  const foci = config.matrix_rtc.foci;
  return new Elysia()
    .get("/.well-known/matrix/client", () => {
      // Unconfigured, there is no address to name: a guess (https://<server_name>) sends clients
      // where nothing may listen, while a 404 makes them use the URL they were given (spec: FAIL_PROMPT
      // only for a body that is there and wrong).
      if (client === undefined) throw notFound("No client discovery is configured ([global.well_known] client)");
      return {
        "m.homeserver": { base_url: client },
        // MSC4143 as Element Call reads it today: the LiveKit foci of group calls.
        ...(foci.length > 0 ? { "org.matrix.msc4143.rtc_foci": foci } : {}),
      };
    })
    .get("/.well-known/matrix/server", () => ({ "m.server": server }));
};
