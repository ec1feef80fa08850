// The opt-in Prometheus listener over real HTTP: requests counted and timed under their route
// pattern, the gauges read at scrape time (a parked long-poll, the database, the process), nothing
// on the public listener, and no listener at all without [global.metrics].
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, registerUser, type Session } from "../helpers/client";
import { createRoom, enc, sendMessage } from "../helpers/rooms";
import { startServer, type TestServer } from "../helpers/server";
import { parked } from "../helpers/sync";

const SEND_ROUTE = "/_matrix/client/v3/rooms/:roomId/send/:eventType/:txnId";

function metricsUrl(server: TestServer): string {
  const started = server.output.find((line) => line.includes('"msg":"conduit started"'));
  const m = started && /"metrics":"([^"]+)"/.exec(started);
  if (!m) throw new Error("no metrics listener in the start line");
  return m[1]!;
}

async function scrape(server: TestServer): Promise<string> {
  const res = await fetch(metricsUrl(server));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return res.text();
}

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("with [global.metrics]", () => {
  let server: TestServer;
  let alice: Session;
  beforeAll(async () => {
    server = await startServer({ toml: '[global.metrics]\naddress = "127.0.0.1"\nport = 0', log: "debug" });
    alice = await registerUser(server.baseUrl, "alice");
  });
  afterAll(() => server.stop());

  test("requests are counted and timed by method, route pattern and status", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const before = sample(await scrape(server), `conduit_http_requests_total{method="PUT",route="${SEND_ROUTE}",status="200"}`) ?? 0;
    for (let i = 0; i < 3; i++) await sendMessage(server.baseUrl, alice, roomId, `hello ${i}`);
    const bad = await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/x`, { token: alice.access_token, body: [] });
    expect(bad.status).toBe(400);
    await api(server.baseUrl, "GET", "/_matrix/client/v3/no/such/endpoint", { token: alice.access_token });

    const text = await scrape(server);
    expect(sample(text, `conduit_http_requests_total{method="PUT",route="${SEND_ROUTE}",status="200"}`)).toBe(before + 3);
    expect(sample(text, `conduit_http_requests_total{method="PUT",route="${SEND_ROUTE}",status="400"}`)).toBe(1);
    expect(text).toContain('route="unmatched",status="404"');
    // The histogram: cumulative buckets ending in +Inf, which equals the count.
    const count = sample(text, `conduit_http_request_duration_seconds_count{method="PUT",route="${SEND_ROUTE}"}`);
    expect(count).toBe(before + 4);
    expect(sample(text, `conduit_http_request_duration_seconds_bucket{method="PUT",route="${SEND_ROUTE}",le="+Inf"}`)).toBe(count);
    expect(sample(text, `conduit_http_request_duration_seconds_sum{method="PUT",route="${SEND_ROUTE}"}`)).toBeGreaterThan(0);
    // Paths with ids never become labels.
    expect(text).not.toContain(roomId);
  });

  test("gauges are read at scrape time: a parked long-poll, the database, the process, the queues", async () => {
    const waiting = parked(server, alice.user_id);
    const first = await api<{ next_batch: string }>(server.baseUrl, "GET", "/_matrix/client/v3/sync", { token: alice.access_token });
    const poll = api(server.baseUrl, "GET", `/_matrix/client/v3/sync?since=${enc(first.body.next_batch)}&timeout=20000`, { token: alice.access_token });
    await waiting;
    const text = await scrape(server);
    expect(sample(text, "conduit_sync_waiters")).toBe(1);
    expect(sample(text, "conduit_database_bytes")).toBeGreaterThan(0);
    expect(sample(text, "conduit_process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
    expect(sample(text, "conduit_room_queue_waiting")).toBe(0);
    expect(sample(text, "conduit_push_queue_items")).toBe(0);
    expect(sample(text, 'conduit_worker_busy_seconds_total{pool="state_res"}')).toBeGreaterThanOrEqual(0);
    expect(text).toContain("# TYPE conduit_worker_busy_seconds_total counter");
    // Wake the poll so the test leaves nothing parked.
    await createRoom(server.baseUrl, alice);
    expect((await poll).status).toBe(200);
    expect(sample(await scrape(server), "conduit_sync_waiters")).toBe(0);
  });

  test("the metrics listener serves only /metrics; the public listener has none", async () => {
    const other = await fetch(metricsUrl(server).replace("/metrics", "/_matrix/client/versions"));
    expect(other.status).toBe(404);
    const post = await fetch(metricsUrl(server), { method: "POST" });
    expect(post.status).toBe(405);
    const pub = await fetch(`${server.baseUrl}/metrics`);
    expect(pub.status).toBe(404);
  });
});

test("without [global.metrics] there is no metrics listener", async () => {
  const server = await startServer();
  try {
    const started = server.output.find((line) => line.includes('"msg":"conduit started"'));
    expect(started).toBeDefined();
    expect(started).not.toContain('"metrics"');
  } finally {
    await server.stop();
  }
});
