/**
 * One structured log line per request: method, path (never the query string, which can carry
 * secrets), status and duration in milliseconds. It runs on every request, so it stays cheap:
 * the path is cut out of the URL string rather than parsed. With metrics on, the same moment
 * counts and times the request under its route pattern.
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

/** Told of each answered request: its route pattern ("unmatched" for none) and duration. */
export type RequestObserver = (method: string, route: string, status: number, seconds: number) => void;

export const requestLog = (log: Logger, observe?: RequestObserver) =>
  new Elysia({ name: "request-log" })
    .onRequest((context) => {
      (context as Timed).requestStartedAt = performance.now();
    })
    .onAfterResponse((context) => {
      const { request, set } = context;
      const t0 = (context as Timed).requestStartedAt;
      const ms = t0 === undefined ? undefined : performance.now() - t0;
      const status = typeof set.status === "number" ? set.status : 200;
      log.info("request", {
        method: request.method,
        path: pathOf(request.url),
        status,
        ms: ms === undefined ? undefined : Math.round(ms * 100) / 100,
      });
      if (observe && ms !== undefined) observe(request.method, context.route || "unmatched", status, ms / 1000);
    })
    .as("global");
