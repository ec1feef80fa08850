/**
 * One structured log line per request: method, path (never the query string, which can carry
 * secrets), status and duration in milliseconds. It runs on every request, so it stays cheap:
 * the path is cut out of the URL string rather than parsed.
 */
import { Elysia } from "elysia";
import type { Logger } from "../../runtime/logger";

/** Elysia hands every hook of a request the same context object: the start time rides on it. */
interface Timed {
  requestStartedAt?: number;
}

/** The path of an absolute URL string, without query or fragment. */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
  }
  return url.slice(start, end);
}

export const requestLog = (log: Logger) =>
  new Elysia({ name: "request-log" })
    .onRequest((context) => {
      (context as Timed).requestStartedAt = performance.now();
    })
    .onAfterResponse((context) => {
      const { request, set } = context;
      const t0 = (context as Timed).requestStartedAt;
      log.info("request", {
        method: request.method,
        path: pathOf(request.url),
        status: typeof set.status === "number" ? set.status : 200,
        ms: t0 === undefined ? undefined : Math.round((performance.now() - t0) * 100) / 100,
      });
    })
    .as("global");
