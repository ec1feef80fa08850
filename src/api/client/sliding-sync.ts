/**
 * POST /_matrix/client/unstable/org.matrix.simplified_msc3575/sync — MSC4186 as Element X (matrix-rust-sdk) calls it
 * POST /_matrix/client/v4/sync — MSC4186 as merged: https://github.com/matrix-org/matrix-spec-proposals/blob/main/proposals/4186-simplified-sliding-sync.md
 * (docs/sliding-sync.md: the two shapes and what this server implements.)
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { maxSyncTimeoutMs } from "../../services/sync/sync";
import { parseSlidingRequest } from "../../services/sync/sliding/request";
import { allowSilence } from "../http/request-context";
import { clientAuth } from "../plugins/client-auth";

/** Seconds past the longest long-poll before Bun may close a quiet connection. */
const idleMarginSeconds = 15;

export const slidingSyncRoutes = ({ accounts, sync: { sliding } }: Services) =>
  new Elysia()
    .use(clientAuth(accounts.tokens))
    .post(
      "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync",
      ({ requester, query, body, request }) => {
        const parsed = parseSlidingRequest("unstable", body, query);
        allowSilence(request, Math.ceil(maxSyncTimeoutMs / 1000) + idleMarginSeconds);
        return sliding.sync(requester, parsed, request.signal);
      },
      {
        auth: true,
        query: t.Object({
          pos: t.Optional(t.String()),
          timeout: t.Optional(t.Numeric({ minimum: 0 })),
          set_presence: t.Optional(t.Union([t.Literal("online"), t.Literal("offline"), t.Literal("unavailable")])),
        }),
      },
    )
    .post(
      "/_matrix/client/v4/sync",
      ({ requester, body, request }) => {
        const parsed = parseSlidingRequest("v4", body);
        allowSilence(request, Math.ceil(maxSyncTimeoutMs / 1000) + idleMarginSeconds);
        return sliding.sync(requester, parsed, request.signal);
      },
      { auth: true },
    );
