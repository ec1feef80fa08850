/**
 * The metrics listener: `GET /metrics` in Prometheus's text format on an address and port of its
 * own (`[global.metrics]`), so the figures never share the public listener. Everything else is 404.
 */
import type { Metrics } from "../runtime/metrics";

export function serveMetrics(metrics: Metrics, at: { address: string; port: number }) {
  return Bun.serve({
    hostname: at.address,
    port: at.port,
    reusePort: false,
    fetch(request) {
      const { pathname } = new URL(request.url);
      if (pathname !== "/metrics") return new Response("not found\n", { status: 404 });
      if (request.method !== "GET" && request.method !== "HEAD") return new Response("method not allowed\n", { status: 405, headers: { Allow: "GET, HEAD" } });
      return new Response(metrics.render(), { headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" } });
    },
  });
}
