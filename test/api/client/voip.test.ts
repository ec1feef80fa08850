// What clients need for calls: TURN credentials (/voip/turnServer from Conduit's turn_* keys,
// time-limited HMAC credentials with turn_secret) and the MatrixRTC transports (MSC4143) in the
// well-known document and at rtc/transports.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { api, expectError, registerUser, type Session } from "../../helpers/client";
import { startServer, type TestServer } from "../../helpers/server";

const TRANSPORTS = "/_matrix/client/unstable/org.matrix.msc4143/rtc/transports";
const FOCUS = { type: "livekit", livekit_service_url: "https://livekit-jwt.example.org" };

async function serverWith(toml: string): Promise<{ server: TestServer; user: Session }> {
  const server = await startServer({ toml });
  return { server, user: await registerUser(server.baseUrl, "caller") };
}

const turnServer = (s: { server: TestServer; user: Session }) =>
  api<Record<string, unknown>>(s.server.baseUrl, "GET", "/_matrix/client/v3/voip/turnServer", { token: s.user.access_token });

describe("with TURN and LiveKit configured", () => {
  let s: { server: TestServer; user: Session };
  beforeAll(async () => {
    s = await serverWith([
      'turn_uris = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]',
      'turn_secret = "s3cret"',
      "turn_ttl = 3600",
      // The client discovery document exists only where its base URL is configured.
      'well_known = { client = "https://matrix.example.org" }',
      "[global.matrix_rtc]",
      `foci = [{ type = "livekit", livekit_service_url = "${FOCUS.livekit_service_url}" }]`,
    ].join("\n"));
  });
  afterAll(() => s.server.stop());

  test("turnServer answers time-limited credentials that the secret verifies", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await turnServer(s);
    expect(res.status).toBe(200);
    const { username, password, uris, ttl } = res.body as { username: string; password: string; uris: string[]; ttl: number };
    expect(uris).toEqual(["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]);
    expect(ttl).toBe(3600);
    const [expiry, userId] = [username.slice(0, username.indexOf(":")), username.slice(username.indexOf(":") + 1)];
    expect(userId).toBe(s.user.user_id);
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 3600);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 3600);
    expect(password).toBe(createHmac("sha1", "s3cret").update(username).digest("base64"));
  });

  test("turnServer needs an access token", async () => {
    expectError(await api(s.server.baseUrl, "GET", "/_matrix/client/v3/voip/turnServer"), 401, "M_MISSING_TOKEN");
  });

  test("the foci are in the well-known document and at rtc/transports (authenticated); versions says so", async () => {
    const wellKnown = await api(s.server.baseUrl, "GET", "/.well-known/matrix/client");
    expect(wellKnown.body["org.matrix.msc4143.rtc_foci"]).toEqual([FOCUS]);
    const transports = await api(s.server.baseUrl, "GET", TRANSPORTS, { token: s.user.access_token });
    expect(transports).toMatchObject({ status: 200, body: { rtc_transports: [FOCUS] } });
    expectError(await api(s.server.baseUrl, "GET", TRANSPORTS), 401, "M_MISSING_TOKEN");
    const versions = await api<{ unstable_features: Record<string, boolean> }>(s.server.baseUrl, "GET", "/_matrix/client/versions");
    expect(versions.body.unstable_features).toMatchObject({ "org.matrix.msc4140": true, "org.matrix.msc4143": true, "org.matrix.msc4222": true });
  });
});

test("with a fixed TURN username and password, those are answered", async () => {
  const s = await serverWith('turn_uris = ["turn:turn.example.org"]\nturn_username = "static"\nturn_password = "pass"');
  try {
    expect((await turnServer(s)).body).toEqual({ username: "static", password: "pass", uris: ["turn:turn.example.org"], ttl: 86400 });
  } finally {
    await s.server.stop();
  }
});

test("without TURN or foci: an empty turnServer object, no rtc_foci, no transports", async () => {
  const s = await serverWith("");
  try {
    expect(await turnServer(s)).toMatchObject({ status: 200, body: {} });
    expect(Object.keys((await turnServer(s)).body)).toEqual([]);
    const wellKnown = await api(s.server.baseUrl, "GET", "/.well-known/matrix/client");
    expect(wellKnown.body["org.matrix.msc4143.rtc_foci"]).toBeUndefined();
    expect((await api(s.server.baseUrl, "GET", TRANSPORTS, { token: s.user.access_token })).body).toEqual({ rtc_transports: [] });
  } finally {
    await s.server.stop();
  }
});
