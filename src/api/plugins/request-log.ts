/**
 * One structured log line per request: method, path (never the query string, which can carry
 * secrets), status and duration in milliseconds.
 */
import { Elysia } from "elysia";
import type { Logger } from "../../services/logger";

const started = new WeakMap<Request, number>();

export const requestLog = (log: Logger) =>
  new Elysia({ name: "request-log" })
    .onRequest(({ request }) => {
      started.set(request, performance.now());
    })
    .onAfterResponse(({ request, set }) => {
      const t0 = started.get(request);
      const url = new URL(request.url);
      log.info("request", {
        method: request.method,
        path: url.pathname,
        status: typeof set.status === "number" ? set.status : 200,
        ms: t0 === undefined ? undefined : Math.round((performance.now() - t0) * 100) / 100,
      });
    })
    .as("global");
