/**
 * GET /_matrix/client/v3/sync — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3sync
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { maxSyncTimeoutMs } from "../../services/sync/sync";
import { allowSilence } from "../http/request-context";
import { clientAuth } from "../plugins/client-auth";

/** Seconds past the longest long-poll before Bun may close a quiet connection. */
const idleMarginSeconds = 15;

export const syncRoutes = ({ accounts, sync: { sync } }: Services) =>
  new Elysia().use(clientAuth(accounts.tokens)).get(
    "/_matrix/client/v3/sync",
    ({ requester, query, request }) => {
      // A long-poll is silent until it answers; Bun's default idle timeout (10 s) would cut it.
      allowSilence(request, Math.ceil(maxSyncTimeoutMs / 1000) + idleMarginSeconds);
      return sync.sync(
        requester,
        {
          since: query.since,
          filter: query.filter,
          fullState: query.full_state === "true",
          // MSC4222's unstable parameter gets the unstable field name.
          useStateAfter: query.use_state_after === "true" ? "state_after" : query["org.matrix.msc4222.use_state_after"] === "true" ? "org.matrix.msc4222.state_after" : false,
          setPresence: query.set_presence,
          timeoutMs: query.timeout ?? 0,
        },
        request.signal,
      );
    },
    {
      auth: true,
      query: t.Object({
        since: t.Optional(t.String()),
        filter: t.Optional(t.String()),
        full_state: t.Optional(t.Union([t.Literal("true"), t.Literal("false")])),
        use_state_after: t.Optional(t.Union([t.Literal("true"), t.Literal("false")])),
        "org.matrix.msc4222.use_state_after": t.Optional(t.Union([t.Literal("true"), t.Literal("false")])),
        set_presence: t.Optional(t.Union([t.Literal("online"), t.Literal("offline"), t.Literal("unavailable")])),
        timeout: t.Optional(t.Numeric({ minimum: 0 })),
      }),
    },
  );
