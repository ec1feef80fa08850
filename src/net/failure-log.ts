/**
 * Failed requests to other servers, told to the operator: each at warn with what the remote
 * answered (status, errcode and the start of its body) or why it could not be reached, so a room
 * stuck on an unreachable or refusing server shows why. At most one line per destination per
 * interval; the next line counts the failures left out in between.
 */
import { errorMessage } from "../core";
import type { Clock } from "../runtime/clock";
import type { Logger } from "../runtime/logger";
import { createLruMap } from "../runtime/lru-map";
import { RemoteError, type FederationClient, type FederationRequest } from "./federation-client";
import { OutboundError } from "./outbound-http";

const DEFAULT_INTERVAL_MS = 60_000;
/** Destinations remembered; beyond that the least recent one may log again early. */
const MAX_DESTINATIONS = 1024;
/** How much of a remote's error body goes into the line. */
const MAX_ANSWER_CHARS = 300;

function answerOf(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return text.length > MAX_ANSWER_CHARS ? `${text.slice(0, MAX_ANSWER_CHARS)}…` : text;
}

export function withFailureLog(client: FederationClient, log: Logger, clock: Clock, intervalMs = DEFAULT_INTERVAL_MS): FederationClient {
  const seen = createLruMap<string, { at: number; skipped: number }>({ maxEntries: MAX_DESTINATIONS });

  function report(destination: string, method: string, path: string, e: unknown): void {
    const now = clock.now();
    const last = seen.get(destination);
    if (last && now - last.at < intervalMs) {
      last.skipped++;
      return;
    }
    const fields: Record<string, unknown> = { destination, method, path: path.split("?")[0] };
    if (e instanceof RemoteError) {
      fields.status = e.status;
      if (e.errcode) fields.errcode = e.errcode;
      fields.answer = answerOf(e.body);
    } else {
      if (e instanceof OutboundError) fields.failure = e.kind;
      fields.error = errorMessage(e);
    }
    if (last && last.skipped > 0) fields.failures_not_logged = last.skipped;
    seen.set(destination, { at: now, skipped: 0 });
    log.warn("request to another server failed", fields);
  }

  const logged: FederationClient = {
    async request<T>(destination: string, req: FederationRequest): Promise<T> {
      try {
        return await client.request<T>(destination, req);
      } catch (e) {
        report(destination, req.method, req.path, e);
        throw e;
      }
    },
  };
  const raw = client.requestRaw?.bind(client);
  if (raw) {
    // A raw answer carries its own status; only a request that got none is a failure here.
    logged.requestRaw = async (destination, req) => {
      try {
        return await raw(destination, req);
      } catch (e) {
        report(destination, req.method, req.path, e);
        throw e;
      }
    };
  }
  return logged;
}
