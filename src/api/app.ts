/**
 * Assembles the HTTP application: shared plugins first (logging, CORS, errors, body parsing), then
 * one route factory per spec area. `serve` puts it behind Bun.serve with TLS when configured.
 */
import { Elysia } from "elysia";
import type { Services } from "../services";
import { clientAuth } from "./plugins/client-auth";
import { cors } from "./plugins/cors";
import { errors } from "./plugins/errors";
import { jsonBody } from "./plugins/json-body";
import { requestLog } from "./plugins/request-log";
import { methodsByPath, modernPath } from "./route-table";
import { versionsRoutes } from "./client/versions";
import { wellKnownRoutes } from "./client/well-known";

export function createApp(services: Services) {
  const { config, log } = services;
  let methodsFor = (_path: string): string[] => [];
  const app = new Elysia()
    .use(requestLog(log))
    .use(cors)
    .use(errors(log, (path) => methodsFor(path)))
    .use(jsonBody(config.max_request_size))
    .use(clientAuth(services.auth))
    .use(versionsRoutes())
    .use(wellKnownRoutes(config));
  methodsFor = methodsByPath(app.routes);
  return app;
}
export type App = ReturnType<typeof createApp>;

export interface ServeOptions {
  hostname: string;
  port: number;
  maxRequestBodySize: number;
  tls?: { cert: string; key: string };
}

/** Starts listening; legacy `r0` paths are rewritten to their `v3` names before routing. */
export function serve(app: App, opts: ServeOptions) {
  const handle = app.fetch;
  return Bun.serve({
    hostname: opts.hostname,
    port: opts.port,
    maxRequestBodySize: opts.maxRequestBodySize,
    tls: opts.tls,
    development: false,
    fetch(request) {
      if (!request.url.includes("/r0/")) return handle(request);
      const url = new URL(request.url);
      const modern = modernPath(url.pathname);
      if (modern === undefined) return handle(request);
      url.pathname = modern;
      return handle(new Request(url.href, request));
    },
  });
}
