/**
 * Publishing our signing keys and answering as a notary for other servers' keys:
 *   GET  /_matrix/key/v2/server                 https://spec.matrix.org/v1.19/server-server-api/#get_matrixkeyv2server
 *   GET  /_matrix/key/v2/server/{keyId}         the older form, still asked by older servers: the same document
 *   GET  /_matrix/key/v2/query/{serverName}     https://spec.matrix.org/v1.19/server-server-api/#get_matrixkeyv2queryservername
 *   GET  /_matrix/key/v2/query/{serverName}/{keyId}   the older form, for one key
 *   POST /_matrix/key/v2/query                  https://spec.matrix.org/v1.19/server-server-api/#post_matrixkeyv2query
 * These are unauthenticated: keys are public and each document is signed.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";

const Criteria = t.Record(t.String(), t.Object({ minimum_valid_until_ts: t.Optional(t.Integer()) }));
const QueryParams = t.Object({ minimum_valid_until_ts: t.Optional(t.Integer()) });

export const keyRoutes = ({ federation }: Services) =>
  new Elysia()
    .get("/_matrix/key/v2/server", () => federation.keys.ownKeyDocument())
    .get("/_matrix/key/v2/server/:keyId", () => federation.keys.ownKeyDocument())
    .get(
      "/_matrix/key/v2/query/:serverName",
      async ({ params, query }) => ({
        server_keys: await federation.keys.queryKeys([{ serverName: params.serverName, minimumValidUntilTs: query.minimum_valid_until_ts }]),
      }),
      { query: QueryParams },
    )
    .get(
      "/_matrix/key/v2/query/:serverName/:keyId",
      async ({ params, query }) => ({
        server_keys: await federation.keys.queryKeys([
          { serverName: params.serverName, keyIds: [params.keyId], minimumValidUntilTs: query.minimum_valid_until_ts },
        ]),
      }),
      { query: QueryParams },
    )
    .post(
      "/_matrix/key/v2/query",
      async ({ body }) => {
        // Per-key criteria collapse to the strictest minimum for the server's documents.
        const queries = Object.entries(body.server_keys).map(([serverName, keys]) => {
          const mins = Object.values(keys).flatMap((c) => (c.minimum_valid_until_ts === undefined ? [] : [c.minimum_valid_until_ts]));
          return { serverName, keyIds: Object.keys(keys), minimumValidUntilTs: mins.length > 0 ? Math.max(...mins) : undefined };
        });
        return { server_keys: await federation.keys.queryKeys(queries) };
      },
      { body: t.Object({ server_keys: t.Record(t.String(), Criteria) }) },
    );
