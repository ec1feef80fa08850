// The exposition writer and the busy meter, in process: label escaping, cumulative buckets, gauge
// readings with labels, and busy time that counts overlapping jobs once.
import { expect, test } from "bun:test";
import { createBusyMeter } from "../../src/runtime/busy-meter";
import { createMetrics } from "../../src/runtime/metrics";

test("label values are escaped; buckets are cumulative and end in +Inf", () => {
  const metrics = createMetrics();
  metrics.observeRequest("GET", "/a/:id", 200, 0.003);
  metrics.observeRequest("GET", "/a/:id", 200, 0.2);
  metrics.observeRequest("GET", "/a/:id", 500, 100);
  metrics.gauge("x_items", "Items.", () => [[{ name: 'say "hi"\\\n' }, 2]]);
  const text = metrics.render();
  expect(text).toContain('conduit_http_requests_total{method="GET",route="/a/:id",status="200"} 2');
  expect(text).toContain('conduit_http_requests_total{method="GET",route="/a/:id",status="500"} 1');
  expect(text).toContain('conduit_http_request_duration_seconds_bucket{method="GET",route="/a/:id",le="0.001"} 0');
  expect(text).toContain('conduit_http_request_duration_seconds_bucket{method="GET",route="/a/:id",le="0.005"} 1');
  expect(text).toContain('conduit_http_request_duration_seconds_bucket{method="GET",route="/a/:id",le="0.25"} 2');
  expect(text).toContain('conduit_http_request_duration_seconds_bucket{method="GET",route="/a/:id",le="60"} 2');
  expect(text).toContain('conduit_http_request_duration_seconds_bucket{method="GET",route="/a/:id",le="+Inf"} 3');
  expect(text).toContain('x_items{name="say \\"hi\\"\\\\\\n"} 2');
  expect(text.endsWith("\n")).toBe(true);
});

test("busy time counts overlapping jobs once and includes a job still running", () => {
  let now = 0;
  const meter = createBusyMeter(() => now);
  const a = meter.start();
  now = 100;
  const b = meter.start();
  now = 300;
  a();
  a(); // ending twice changes nothing
  expect(meter.inFlight()).toBe(1);
  now = 400;
  b();
  expect(meter.busySeconds()).toBe(0.4);
  now = 1000;
  const c = meter.start();
  now = 1500;
  expect(meter.busySeconds()).toBe(0.9);
  c();
  expect(meter.inFlight()).toBe(0);
});
