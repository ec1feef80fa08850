// Application services on the client API, over real HTTP (spec "Client-Server API Extensions"):
// registration and login with m.login.application_service, M_EXCLUSIVE both ways for users and
// aliases, acting as users (`user_id`, `device_id`, MSC3202's unstable name) and whoami, the
// rate-limit exemption of `rate_limited: false`, timestamp massaging, and devices and deactivation
// without UIA.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enc } from "../../helpers/as-user";
import { appserviceFilesToml, writeRegistration } from "../../helpers/appservice";
import { api, expectError } from "../../helpers/client";
import { startServer, type TestServer } from "../../helpers/server";
import { addUser, type TestUser } from "../../helpers/users";

const dir = mkdtempSync(join(tmpdir(), "conduit-as-identity-"));
let server: TestServer;
let alice: TestUser;
const BRIDGE = "as-bridge";
const LIMITED = "as-limited";

beforeAll(async () => {
  const files = [
    writeRegistration(dir, { id: "bridge", users: ["@bridge_.*"], aliases: ["#bridge_.*"], extra: ["rate_limited: false"] }),
    writeRegistration(dir, { id: "limited", users: ["@limited_.*"] }),
  ];
  server = await startServer({ toml: appserviceFilesToml(files), rateLimits: { message: { per_second: 0.001, burst: 2 } } });
  alice = await addUser(server, "alice");
  // The bridge's puppet the tests act as (each test may run alone).
  expect((await asRegister("bridge_alice")).status).toBe(200);
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const call = <T = Record<string, unknown>>(method: string, path: string, token?: string, body?: unknown) =>
  api<T>(server.baseUrl, method, `/_matrix/client/v3${path}`, { token, body });

/** `null`: no token at all. */
const asRegister = (username: string, token: string | null = BRIDGE, extra: Record<string, unknown> = {}) =>
  call("POST", "/register", token ?? undefined, { type: "m.login.application_service", username, inhibit_login: true, ...extra });

describe("registration", () => {
  test("an appservice registers users of its namespace without UIA or password", async () => {
    const res = await asRegister("bridge_anna");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user_id: "@bridge_anna:localhost", home_server: "localhost" });
    expectError(await asRegister("bridge_anna"), 400, "M_USER_IN_USE");
    // Without inhibit_login it gets a session, as a login would.
    const withSession = await asRegister("bridge_bob", BRIDGE, { inhibit_login: false });
    expect(withSession.body).toMatchObject({ user_id: "@bridge_bob:localhost", device_id: expect.any(String), access_token: expect.any(String) });
    // Appservices keep the case they give (Synapse lets them).
    expect((await asRegister("bridge_Carol")).body.user_id).toBe("@bridge_Carol:localhost");
  });

  test("its token is needed: missing or unknown are 401", async () => {
    expectError(await asRegister("bridge_x", null), 401, "M_MISSING_TOKEN");
    expectError(await asRegister("bridge_x", "not-a-token"), 401, "M_UNKNOWN_TOKEN");
    // A user's own access token is not an appservice's.
    expectError(await asRegister("bridge_x", alice.session.access_token), 401, "M_UNKNOWN_TOKEN");
  });

  test("outside its namespace, or inside another appservice's, is M_EXCLUSIVE", async () => {
    expectError(await asRegister("mallory"), 400, "M_EXCLUSIVE");
    expectError(await asRegister("limited_x"), 400, "M_EXCLUSIVE");
    expectError(await asRegister("bad name"), 400, "M_INVALID_USERNAME");
  });

  test("users may not register a name an appservice holds exclusively, nor the sender user", async () => {
    const attempt = (username: string) => call("POST", "/register", undefined, { username, password: "pw", auth: { type: "m.login.dummy" } });
    expectError(await attempt("bridge_eve"), 400, "M_EXCLUSIVE");
    expectError(await attempt("bridgebot"), 400, "M_EXCLUSIVE");
    expectError(await call("GET", "/register/available?username=bridge_eve"), 400, "M_EXCLUSIVE");
    expect((await call("GET", "/register/available?username=eve")).status).toBe(200);
  });
});

describe("acting as users", () => {
  test("the as_token alone is the sender user, without a device", async () => {
    const res = await call("GET", "/account/whoami", BRIDGE);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user_id: "@bridgebot:localhost", is_guest: false });
  });

  test("user_id names a registered user of its namespace", async () => {
    const res = await call("GET", `/account/whoami?user_id=${enc("@bridge_alice:localhost")}`, BRIDGE);
    expect(res.body).toEqual({ user_id: "@bridge_alice:localhost", is_guest: false });
    expectError(await call("GET", `/account/whoami?user_id=${enc("@alice:localhost")}`, BRIDGE), 403, "M_FORBIDDEN");
    expectError(await call("GET", `/account/whoami?user_id=${enc("@bridge_nobody:localhost")}`, BRIDGE), 403, "M_FORBIDDEN");
    expectError(await call("GET", `/account/whoami?user_id=${enc("@limited_x:localhost")}`, BRIDGE), 403, "M_FORBIDDEN");
    // A user's token ignores user_id.
    expect((await call("GET", `/account/whoami?user_id=${enc("@bridge_alice:localhost")}`, alice.session.access_token)).body.user_id).toBe(alice.id);
  });

  test("device_id (and MSC3202's unstable name) picks one of the user's devices; an unknown one is M_UNKNOWN_DEVICE", async () => {
    const device = await call("PUT", `/devices/PUPPETDEV?user_id=${enc("@bridge_alice:localhost")}`, BRIDGE, { display_name: "bridge device" });
    expect(device.status).toBe(200);
    const as = (query: string) => call("GET", `/account/whoami?user_id=${enc("@bridge_alice:localhost")}&${query}`, BRIDGE);
    expect((await as("device_id=PUPPETDEV")).body).toEqual({ user_id: "@bridge_alice:localhost", device_id: "PUPPETDEV", is_guest: false });
    expect((await as("org.matrix.msc3202.device_id=PUPPETDEV")).body.device_id).toBe("PUPPETDEV");
    expectError(await as("device_id=NOSUCH"), 400, "M_UNKNOWN_DEVICE");
    // The appservice deletes its users' devices without UIA: they have no password.
    expect((await call("DELETE", `/devices/PUPPETDEV?user_id=${enc("@bridge_alice:localhost")}`, BRIDGE, {})).status).toBe(200);
    expectError(await as("device_id=PUPPETDEV"), 400, "M_UNKNOWN_DEVICE");
  });

  test("the appservice deactivates a user of its namespace without UIA; a user still needs UIA", async () => {
    expect((await asRegister("bridge_leaving")).status).toBe(200);
    const ghost = enc("@bridge_leaving:localhost");
    const res = await call("POST", `/account/deactivate?user_id=${ghost}`, BRIDGE, {});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id_server_unbind_result: "success" });
    expectError(await call("GET", `/account/whoami?user_id=${ghost}`, BRIDGE), 403, "M_USER_DEACTIVATED");
    // Outside its namespace it may not act at all.
    expectError(await call("POST", `/account/deactivate?user_id=${enc(alice.id)}`, BRIDGE, {}), 403, "M_FORBIDDEN");
    expect((await call("POST", "/account/deactivate", alice.session.access_token, {})).status).toBe(401);
    expect((await call("GET", "/account/whoami", alice.session.access_token)).status).toBe(200);
  });

  test("a user can still not create a device by PUT", async () => {
    expectError(await call("PUT", "/devices/NEWDEV", alice.session.access_token, { display_name: "x" }), 404, "M_NOT_FOUND");
  });
});

describe("login", () => {
  test("m.login.application_service is offered and logs in users of the namespace", async () => {
    const flows = await call<{ flows: { type: string }[] }>("GET", "/login");
    expect(flows.body.flows.map((f) => f.type)).toContain("m.login.application_service");
    const login = (user: string, token: string | null = BRIDGE) =>
      call("POST", "/login", token ?? undefined, { type: "m.login.application_service", identifier: { type: "m.id.user", user } });
    const res = await login("bridge_alice");
    expect(res.status).toBe(200);
    const { user_id, device_id, access_token } = res.body as Record<string, string>;
    expect(user_id).toBe("@bridge_alice:localhost");
    expect(typeof device_id).toBe("string");
    // The session is a user's own: its token acts as that user on that device.
    const whoami = await call("GET", "/account/whoami", access_token);
    expect(whoami.body).toEqual({ user_id, device_id, is_guest: false });
    expect((await login("@bridge_alice:localhost")).status).toBe(200);
    expectError(await login("alice"), 403, "M_EXCLUSIVE");
    expectError(await login("bridge_nobody"), 403, "M_FORBIDDEN");
    expectError(await login("bridge_alice", null), 401, "M_MISSING_TOKEN");
    expectError(await login("bridge_alice", "nope"), 401, "M_UNKNOWN_TOKEN");
  });
});

describe("aliases", () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  });
  const alias = (name: string) => `/directory/room/${enc(`#${name}:localhost`)}`;

  test("users may not create or delete aliases an appservice holds exclusively", async () => {
    expectError(await call("PUT", alias("bridge_room"), alice.session.access_token, { room_id: roomId }), 400, "M_EXCLUSIVE");
    expect((await call("PUT", alias("plain"), alice.session.access_token, { room_id: roomId })).status).toBe(200);
  });

  test("the appservice creates and deletes aliases of its namespace only", async () => {
    expect((await call("PUT", alias("bridge_room"), BRIDGE, { room_id: roomId })).status).toBe(200);
    expectError(await call("PUT", alias("bridge_room2"), LIMITED, { room_id: roomId }), 400, "M_EXCLUSIVE");
    expectError(await call("PUT", alias("elsewhere"), BRIDGE, { room_id: roomId }), 400, "M_EXCLUSIVE");
    expectError(await call("DELETE", alias("bridge_room"), alice.session.access_token), 400, "M_EXCLUSIVE");
    expect((await call("GET", alias("bridge_room"))).body.room_id).toBe(roomId);
    expect((await call("DELETE", alias("bridge_room"), BRIDGE)).status).toBe(200);
    expectError(await call("GET", alias("bridge_room")), 404, "M_NOT_FOUND");
  });
});

describe("rate limits and timestamps", () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
    for (const user of ["@bridge_alice:localhost", "@limited_one:localhost"]) {
      const token = user.startsWith("@bridge") ? BRIDGE : LIMITED;
      if (token === LIMITED) await asRegister("limited_one", LIMITED);
      await call("POST", `/join/${enc(roomId)}?user_id=${enc(user)}`, token, {});
    }
  });
  const send = (token: string, user: string | undefined, txn: string, query = "") =>
    call("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn}?${user ? `user_id=${enc(user)}&` : ""}${query}`, token, { msgtype: "m.text", body: txn });

  test("rate_limited: false exempts an appservice's users; others, and other appservices' users, are limited", async () => {
    for (let i = 0; i < 5; i++) expect((await send(BRIDGE, "@bridge_alice:localhost", `b${i}`)).status).toBe(200);
    const limited = [];
    for (let i = 0; i < 4; i++) limited.push((await send(LIMITED, "@limited_one:localhost", `l${i}`)).status);
    expect(limited).toContain(429);
    const own = [];
    for (let i = 0; i < 4; i++) own.push((await send(alice.session.access_token, undefined, `a${i}`)).status);
    expect(own).toContain(429);
  });

  test("an appservice sets origin_server_ts with ts; a user's ts is ignored; a bad ts is refused", async () => {
    const sent = await send(BRIDGE, "@bridge_alice:localhost", "ts1", "ts=1234567");
    const event = await call("GET", `/rooms/${enc(roomId)}/event/${enc(sent.body.event_id as string)}`, alice.session.access_token);
    expect(event.body.origin_server_ts).toBe(1234567);
    const state = await call("PUT", `/rooms/${enc(roomId)}/state/org.example.s/bridge?ts=7654321&user_id=${enc("@bridge_alice:localhost")}`, BRIDGE, { a: 1 });
    expect(state.status).toBe(403); // a puppet without power may not set state; nothing was sent
    expectError(await send(BRIDGE, "@bridge_alice:localhost", "ts2", "ts=-5"), 400, "M_INVALID_PARAM");
    expectError(await send(BRIDGE, "@bridge_alice:localhost", "ts3", "ts=12.5"), 400, "M_INVALID_PARAM");
  });
});

describe("registration closed", () => {
  test("appservices still register their users", async () => {
    const closed = await startServer({
      toml: appserviceFilesToml([writeRegistration(dir, { id: "closedbridge", users: ["@cb_.*"] })]),
      env: { CONDUIT_ALLOW_REGISTRATION: "false" },
    });
    try {
      const res = await api(closed.baseUrl, "POST", "/_matrix/client/v3/register", {
        token: "as-closedbridge",
        body: { type: "m.login.application_service", username: "cb_one", inhibit_login: true },
      });
      expect(res.body).toEqual({ user_id: "@cb_one:localhost", home_server: "localhost" });
      const user = await api(closed.baseUrl, "POST", "/_matrix/client/v3/register", { body: { username: "someone", password: "pw", auth: { type: "m.login.dummy" } } });
      expectError(user, 403, "M_FORBIDDEN");
    } finally {
      await closed.stop();
    }
  });
});
