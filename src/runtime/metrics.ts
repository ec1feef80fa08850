/**
 * Prometheus metrics in the text exposition format (version 0.0.4), for the opt-in `/metrics`
 * listener. Requests are counted and timed as they finish; everything else is a gauge read at
 * scrape time from where the figure already lives (queues in the database, waiters in the
 * notifier, the process's memory), so nothing is kept up to date on the hot path but two map
 * entries per request, keyed by plain strings (label text is built only when scraped). Label values come from bounded sets (route patterns, methods, status codes,
 * federation destinations), so the series stay bounded.
 */

/** Upper bounds of the request-duration histogram, in seconds. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export type Labels = Record<string, string>;

/** A gauge's current values: one number, or one per label set. */
export type GaugeReading = number | Iterable<readonly [Labels, number]>;

interface RouteTimes {
  method: string;
  route: string;
  counts: number[];
  sum: number;
  total: number;
}

interface RouteCount {
  method: string;
  route: string;
  status: number;
  n: number;
}

export interface Metrics {
  /** A request finished: `route` is its route pattern (not the path, which would be unbounded). */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** A value named `name`, read by `read` at each scrape (a gauge, or a counter kept elsewhere). */
  gauge(name: string, help: string, read: () => GaugeReading, type?: "gauge" | "counter"): void;
  /** The whole exposition. */
  render(): string;
}

/** `{a="x",b="y"}` with the format's escaping of backslash, quote and newline. */
function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function withLabel(labels: string, extra: string): string {
  return labels === "" ? `{${extra}}` : `${labels.slice(0, -1)},${extra}}`;
}

const number = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN");

export function createMetrics(): Metrics {
  const requests = new Map<string, RouteCount>();
  const durations = new Map<string, RouteTimes>();
  const gauges: { name: string; help: string; read: () => GaugeReading; type: string }[] = [];

  return {
    observeRequest(method, route, status, seconds) {
      const routeKey = `${method} ${route}`;
      const countKey = `${routeKey} ${status}`;
      const counted = requests.get(countKey);
      if (counted) counted.n++;
      else requests.set(countKey, { method, route, status, n: 1 });
      let times = durations.get(routeKey);
      if (!times) durations.set(routeKey, (times = { method, route, counts: DURATION_BUCKETS.map(() => 0), sum: 0, total: 0 }));
      for (let i = 0; i < DURATION_BUCKETS.length; i++) if (seconds <= DURATION_BUCKETS[i]!) times.counts[i]!++;
      times.sum += seconds;
      times.total++;
    },
    gauge(name, help, read, type = "gauge") {
      gauges.push({ name, help, read, type });
    },
    render() {
      const out: string[] = [];
      out.push("# HELP conduit_http_requests_total Requests answered, by method, route pattern and status.");
      out.push("# TYPE conduit_http_requests_total counter");
      for (const c of requests.values()) {
        out.push(`conduit_http_requests_total${labelText({ method: c.method, route: c.route, status: String(c.status) })} ${c.n}`);
      }
      out.push("# HELP conduit_http_request_duration_seconds Time from a request's arrival to its answer, by method and route pattern.");
      out.push("# TYPE conduit_http_request_duration_seconds histogram");
      for (const t of durations.values()) {
        const labels = labelText({ method: t.method, route: t.route });
        DURATION_BUCKETS.forEach((le, i) => out.push(`conduit_http_request_duration_seconds_bucket${withLabel(labels, `le="${le}"`)} ${t.counts[i]}`));
        out.push(`conduit_http_request_duration_seconds_bucket${withLabel(labels, 'le="+Inf"')} ${t.total}`);
        out.push(`conduit_http_request_duration_seconds_sum${labels} ${t.sum}`);
        out.push(`conduit_http_request_duration_seconds_count${labels} ${t.total}`);
      }
      for (const g of gauges) {
        out.push(`# HELP ${g.name} ${g.help}`);
        out.push(`# TYPE ${g.name} ${g.type}`);
        const value = g.read();
        if (typeof value === "number") out.push(`${g.name} ${number(value)}`);
        else for (const [labels, n] of value) out.push(`${g.name}${labelText(labels)} ${number(n)}`);
      }
      return `${out.join("\n")}\n`;
    },
  };
}
