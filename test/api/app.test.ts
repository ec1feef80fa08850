// The shared HTTP behaviour every endpoint relies on: versions, discovery, CORS, unknown paths and
// methods, legacy r0 paths, and graceful shutdown.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/server";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ toml: 'well_known = { client = "https://matrix.example.org" }' });
});
afterAll(() => server.stop());

test("GET /versions lists v1.19 and answers with JSON", async () => {
  const res = await fetch(`${server.baseUrl}/_matrix/client/versions`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = (await res.json()) as { versions: string[]; unstable_features: Record<string, boolean> };
  expect(body.versions).toContain("v1.19");
  // Only what exists: dehydrated devices, cross-signing for older clients, what Element Call
  // needs (delayed events, MatrixRTC transports, state_after), and Element X's sliding sync.
  expect(body.unstable_features).toEqual({
    "org.matrix.msc3814": true, "org.matrix.e2e_cross_signing": true,
    "org.matrix.msc4140": true, "org.matrix.msc4143": true, "org.matrix.msc4222": true,
    "org.matrix.simplified_msc3575": true,
  });
  expect(new Set(body.versions).size).toBe(body.versions.length);
});

test("well-known client follows [global.well_known]; server defaults to server_name:443", async () => {
  const client = await (await fetch(`${server.baseUrl}/.well-known/matrix/client`)).json();
  expect(client).toEqual({ "m.homeserver": { base_url: "https://matrix.example.org" } });
  const fed = await (await fetch(`${server.baseUrl}/.well-known/matrix/server`)).json();
  expect(fed).toEqual({ "m.server": "localhost:443" });
});

test("without [global.well_known] client, /.well-known/matrix/client is 404 (clients keep the URL they were given)", async () => {
  const bare = await startServer();
  try {
    const res = await fetch(`${bare.baseUrl}/.well-known/matrix/client`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ errcode: "M_NOT_FOUND" });
  } finally {
    await bare.stop();
  }
});

test("unknown endpoint is 404 M_UNRECOGNIZED", async () => {
  const res = await fetch(`${server.baseUrl}/_matrix/client/v3/no/such/thing`);
  expect(res.status).toBe(404);
  expect(await res.json()).toMatchObject({ errcode: "M_UNRECOGNIZED" });
});

test("known path with a wrong method is 405 M_UNRECOGNIZED", async () => {
  const res = await fetch(`${server.baseUrl}/_matrix/client/versions`, { method: "DELETE" });
  expect(res.status).toBe(405);
  expect(await res.json()).toMatchObject({ errcode: "M_UNRECOGNIZED" });
});

test("CORS preflight is answered on any client path, and responses carry CORS headers", async () => {
  const pre = await fetch(`${server.baseUrl}/_matrix/client/v3/login`, { method: "OPTIONS" });
  expect(pre.status).toBeLessThan(300);
  expect(pre.headers.get("access-control-allow-origin")).toBe("*");
  expect(pre.headers.get("access-control-allow-headers")).toContain("Authorization");
  const res = await fetch(`${server.baseUrl}/_matrix/client/versions`);
  expect(res.headers.get("access-control-allow-origin")).toBe("*");
  const err = await fetch(`${server.baseUrl}/_matrix/client/v3/nothing`);
  expect(err.headers.get("access-control-allow-origin")).toBe("*");
});

test("request logs name method, path and status but never the query string", async () => {
  // A path no other test asks for, so the line found is this request's.
  const path = "/_matrix/client/v3/request-log-check";
  const logged = server.nextLine((l) => l.includes('"msg":"request"') && l.includes(path));
  await fetch(`${server.baseUrl}${path}?access_token=secret123`);
  const line = await logged;
  expect(JSON.parse(line)).toMatchObject({ method: "GET", path, status: 404 });
  expect(server.output.join("\n")).not.toContain("secret123");
});

test("SIGTERM shuts down cleanly with exit status 0", async () => {
  const other = await startServer();
  expect(await other.stop("SIGTERM")).toBe(0);
  expect(other.output.join("\n")).toContain("stopped cleanly");
});
