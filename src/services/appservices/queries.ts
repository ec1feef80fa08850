/**
 * Questions to application services (spec "Querying"): before a local user or room alias that does
 * not exist is reported unknown, each appservice whose namespace holds it is asked
 * (`GET /_matrix/app/v1/users/{userId}`, `/rooms/{roomAlias}`); an appservice that answers yes
 * has created it by then, so the answer is checked here again and only what now exists counts.
 * And `POST /_matrix/client/v1/appservice/{appserviceId}/ping` (since v1.7), which calls the
 * appservice's `/_matrix/app/v1/ping` and, when it answers, lets its queued transactions go at once.
 */
import { errorMessage, isInNamespace, type JsonObject, type NamespaceKind } from "../../core";
import { AppserviceUnreachable, callAppservice, PING_TIMEOUT_MS, queryAppservice } from "../../net/appservice-client";
import type { Requester } from "../accounts/access-tokens";
import { MatrixError, forbidden } from "../matrix-error";
import type { SharedDeps } from "../shared-deps";
import type { AppserviceDelivery } from "./delivery";

export type QueriesDeps = Pick<SharedDeps, "config" | "storage" | "clock" | "appserviceRegistry"> & { delivery?: AppserviceDelivery };

/** The spec caps the ping's transaction id like any other. */
const MAX_PING_TXN_ID = 255;

export function createAppserviceQueries(deps: QueriesDeps) {
  const { storage, clock, appserviceRegistry: registry } = deps;
  const localSuffix = `:${deps.config.server_name}`;
  const allowInvalidCertificates = deps.config.allow_invalid_tls_certificates;

  /** Asks the appservices holding `id` in their `namespace`, one after the other, until it exists. */
  async function ask(namespace: NamespaceKind, path: "users" | "rooms", id: string, exists: () => boolean): Promise<boolean> {
    if (exists()) return true;
    if (!id.endsWith(localSuffix)) return false;
    for (const as of registry.all()) {
      const { url, hsToken } = as.registration;
      if (url === null || !isInNamespace(as, namespace, id)) continue;
      if ((await queryAppservice({ url, hsToken, allowInvalidCertificates }, path, id)) && exists()) return true;
    }
    return false;
  }

  return {
    /** Whether the local user exists, asking the appservices of its namespace when it does not (yet). */
    userExists(userId: string): Promise<boolean> {
      return ask("users", "users", userId, () => Boolean(storage.accounts.getUser(userId)));
    },

    /** Whether the local alias exists, asking the appservices of its namespace when it does not (yet). */
    aliasExists(alias: string): Promise<boolean> {
      return ask("aliases", "rooms", alias, () => Boolean(storage.aliases.get(alias)));
    },

    /** The ping: only the appservice itself may ask, with its as_token. Returns the round trip in ms. */
    async ping(requester: Requester, appserviceId: string, transactionId: unknown): Promise<{ duration_ms: number }> {
      if (requester.appservice?.id !== appserviceId) throw forbidden(`Only the appservice ${appserviceId} may ping itself`);
      if (transactionId !== undefined && (typeof transactionId !== "string" || transactionId.length > MAX_PING_TXN_ID)) {
        throw new MatrixError(400, "M_INVALID_PARAM", "transaction_id must be a string of at most 255 characters");
      }
      const as = registry.get(appserviceId);
      const url = as?.registration.url ?? null;
      if (!as || url === null) throw new MatrixError(400, "M_URL_NOT_SET", `The appservice ${appserviceId} has no URL`);
      const started = clock.now();
      let answer;
      try {
        const body: JsonObject = transactionId === undefined ? {} : { transaction_id: transactionId };
        answer = await callAppservice({ url, hsToken: as.registration.hsToken, allowInvalidCertificates }, "POST", "/_matrix/app/v1/ping", body, PING_TIMEOUT_MS);
      } catch (e) {
        if (e instanceof AppserviceUnreachable && e.kind === "timeout") {
          throw new MatrixError(504, "M_CONNECTION_TIMEOUT", `The appservice did not answer within ${PING_TIMEOUT_MS} ms`);
        }
        throw new MatrixError(502, "M_CONNECTION_FAILED", `The appservice could not be reached: ${errorMessage(e)}`);
      }
      if (answer.status < 200 || answer.status >= 300) {
        throw new MatrixError(502, "M_BAD_STATUS", `The appservice answered ${answer.status}`, { status: answer.status, body: answer.text });
      }
      // It is up: what waits for it goes now rather than at the end of its backoff.
      storage.appserviceQueue.resetBackoff(appserviceId);
      deps.delivery?.wakeLater([appserviceId]);
      return { duration_ms: Math.max(0, clock.now() - started) };
    },
  };
}
export type AppserviceQueries = ReturnType<typeof createAppserviceQueries>;
