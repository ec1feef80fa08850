// POST /register with User-Interactive Authentication, /register/available and the registration
// token validity endpoint, over HTTP against the real server.
import { describe, expect, test } from "bun:test";
import { api, expectError, loginUser, registerUser, type UiaResponse } from "../../helpers/client";
import { serverForTests } from "../../helpers/server";

const REGISTER = "/_matrix/client/v3/register";
const PASSWORD = "correct horse battery staple";


const srv = serverForTests();

async function startSession(body: Record<string, unknown>): Promise<string> {
  const res = await api<UiaResponse>(srv.baseUrl, "POST", REGISTER, { body });
  expect(res.status).toBe(401);
  return res.body.session;
}

describe("the UIA dance", () => {
  test("a request without auth gets 401 with flows, params and a session, and no errcode", async () => {
    const res = await api<UiaResponse>(srv.baseUrl, "POST", REGISTER, { body: { username: "dance1", password: PASSWORD } });
    expect(res.status).toBe(401);
    expect(res.body.flows).toEqual([{ stages: ["m.login.dummy"] }]);
    expect(res.body.params).toEqual({});
    expect(typeof res.body.session).toBe("string");
    expect(res.body.session.length).toBeGreaterThan(10);
    expect(res.body.errcode).toBeUndefined();
    expect(res.body.completed).toBeUndefined();
  });

  test("completing the dummy stage registers the user and logs them in", async () => {
    const session = await startSession({ username: "dance2", password: PASSWORD });
    const res = await api(srv.baseUrl, "POST", REGISTER, {
      body: { username: "dance2", password: PASSWORD, auth: { type: "m.login.dummy", session } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_id: "@dance2:localhost", home_server: "localhost" });
    expect(typeof res.body.access_token).toBe("string");
    expect(typeof res.body.device_id).toBe("string");
    const who = await api(srv.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: res.body.access_token as string });
    expect(who.body).toEqual({ user_id: "@dance2:localhost", device_id: res.body.device_id, is_guest: false });
  });

  test("a first request that already carries dummy auth completes at once", async () => {
    const res = await api(srv.baseUrl, "POST", REGISTER, {
      body: { username: "eager", password: PASSWORD, auth: { type: "m.login.dummy" } },
    });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe("@eager:localhost");
  });

  test("a retry of a finished session answers with the same account, logged in again; it registers no other", async () => {
    const session = await startSession({ username: "once1", password: PASSWORD });
    const auth = { type: "m.login.dummy", session };
    const first = await api<{ user_id: string; access_token: string }>(srv.baseUrl, "POST", REGISTER, { body: { username: "once1", password: PASSWORD, auth } });
    expect(first.status).toBe(200);
    const again = await api<{ user_id: string; access_token: string }>(srv.baseUrl, "POST", REGISTER, { body: { username: "once2", password: PASSWORD, auth } });
    expect(again.status).toBe(200);
    expect(again.body.user_id).toBe(first.body.user_id);
    expect(again.body.access_token).not.toBe(first.body.access_token);
    const whoami = await api(srv.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: again.body.access_token });
    expect(whoami.body.user_id).toBe(first.body.user_id);
    expect((await api(srv.baseUrl, "GET", `${REGISTER}/available?username=once2`)).body).toEqual({ available: true });
  });

  test("a later request that carries only auth registers with the first request's fields", async () => {
    const session = await startSession({ username: "remembered", password: "übers3kr1t", device_id: "XYZZY", initial_device_display_name: "first ask", inhibit_login: false });
    const res = await api<{ user_id: string; access_token: string; device_id: string }>(srv.baseUrl, "POST", REGISTER, { body: { auth: { type: "m.login.dummy", session } } });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe("@remembered:localhost");
    expect(res.body.device_id).toBe("XYZZY");
    const device = await api(srv.baseUrl, "GET", "/_matrix/client/v3/devices/XYZZY", { token: res.body.access_token });
    expect(device.body.display_name).toBe("first ask");
    await loginUser(srv.baseUrl, "remembered", "übers3kr1t");
    // inhibit_login remembered too: no device, no token.
    const quiet = await startSession({ username: "quiet", password: PASSWORD, inhibit_login: true });
    const done = await api(srv.baseUrl, "POST", REGISTER, { body: { auth: { type: "m.login.dummy", session: quiet } } });
    expect(done.body).toEqual({ user_id: "@quiet:localhost", home_server: "localhost" });
  });

  test("an unknown session is refused", async () => {
    const res = await api(srv.baseUrl, "POST", REGISTER, {
      body: { username: "nosession", password: PASSWORD, auth: { type: "m.login.dummy", session: "made-up" } },
    });
    expect(res.status).toBe(400);
  });

  test("a stage this endpoint does not offer fails inside the 401, which keeps the session", async () => {
    const session = await startSession({ username: "wrongstage", password: PASSWORD });
    const res = await api<UiaResponse>(srv.baseUrl, "POST", REGISTER, {
      body: { username: "wrongstage", password: PASSWORD, auth: { type: "m.login.registration_token", token: "x", session } },
    });
    expectError(res, 401, "M_FORBIDDEN");
    expect(res.body.session).toBe(session);
    expect(res.body.flows).toEqual([{ stages: ["m.login.dummy"] }]);
  });

  test("a missing password is reported after UIA, and the session can be used again to fix it", async () => {
    const session = await startSession({ username: "nopass" });
    const auth = { type: "m.login.dummy", session };
    const res = await api(srv.baseUrl, "POST", REGISTER, { body: { username: "nopass", auth } });
    expectError(res, 400, "M_MISSING_PARAM");
    const fixed = await api(srv.baseUrl, "POST", REGISTER, { body: { username: "nopass", password: PASSWORD, auth } });
    expect(fixed.status).toBe(200);
  });

  test("an empty password is refused as weak", async () => {
    const session = await startSession({ username: "emptypass", password: "" });
    const res = await api(srv.baseUrl, "POST", REGISTER, {
      body: { username: "emptypass", password: "", auth: { type: "m.login.dummy", session } },
    });
    expectError(res, 400, "M_WEAK_PASSWORD");
  });

  test("a password over 512 bytes is refused (400 M_INVALID_PARAM) and registers nobody", async () => {
    const long = "é".repeat(257); // 257 characters, 514 bytes
    const session = await startSession({ username: "longpass", password: long });
    const res = await api(srv.baseUrl, "POST", REGISTER, {
      body: { username: "longpass", password: long, auth: { type: "m.login.dummy", session } },
    });
    expectError(res, 400, "M_INVALID_PARAM");
    const available = await api(srv.baseUrl, "GET", "/_matrix/client/v3/register/available?username=longpass");
    expect(available.body).toEqual({ available: true });
  });
});

describe("user ids", () => {
  test("upper case is folded into the localpart, and the display name defaults to it", async () => {
    const s = await registerUser(srv.baseUrl, "MixedCase");
    expect(s.user_id).toBe("@mixedcase:localhost");
    const profile = await api(srv.baseUrl, "GET", `/_matrix/client/v3/profile/${s.user_id}`);
    expect(profile.body).toEqual({ displayname: "mixedcase" });
  });

  test("a registration without username gets a generated, valid localpart", async () => {
    const a = await registerUser(srv.baseUrl, undefined);
    const b = await registerUser(srv.baseUrl, undefined);
    expect(a.user_id).toMatch(/^@[a-z0-9._=/+-]+:localhost$/);
    expect(a.user_id).not.toBe(b.user_id);
  });

  test("the whole grammar of localparts is accepted", async () => {
    const s = await registerUser(srv.baseUrl, "a.b_c=d-e/f+g9");
    expect(s.user_id).toBe("@a.b_c=d-e/f+g9:localhost");
    // A slash in the localpart survives being a path segment of other endpoints.
    const profile = await api(srv.baseUrl, "GET", `/_matrix/client/v3/profile/${encodeURIComponent(s.user_id)}`);
    expect(profile.body).toEqual({ displayname: "a.b_c=d-e/f+g9" });
  });

  for (const bad of ["has space", "émile", "colon:name", "@at", "", "quote\"", "tab\t"]) {
    test(`username ${JSON.stringify(bad)} is M_INVALID_USERNAME before any UIA`, async () => {
      const res = await api(srv.baseUrl, "POST", REGISTER, { body: { username: bad, password: PASSWORD } });
      expectError(res, 400, "M_INVALID_USERNAME");
    });
  }

  test("user ids are at most 255 bytes", async () => {
    const fits = "a".repeat(255 - "@:localhost".length);
    expect((await api(srv.baseUrl, "POST", REGISTER, { body: { username: fits, password: PASSWORD } })).status).toBe(401);
    const res = await api(srv.baseUrl, "POST", REGISTER, { body: { username: `${fits}b`, password: PASSWORD } });
    expectError(res, 400, "M_INVALID_USERNAME");
  });

  test("a taken user id is M_USER_IN_USE before any UIA, whatever its case", async () => {
    await registerUser(srv.baseUrl, "taken");
    for (const name of ["taken", "TAKEN"]) {
      const res = await api(srv.baseUrl, "POST", REGISTER, { body: { username: name, password: PASSWORD } });
      expectError(res, 400, "M_USER_IN_USE");
    }
  });

  test("racing registrations of one name: exactly one wins, the losers get M_USER_IN_USE and no session", async () => {
    const racers = 6;
    const sessions = await Promise.all(
      Array.from({ length: racers }, (_, i) => startSession({ username: "contested", password: `password ${i}` })),
    );
    const results = await Promise.all(
      sessions.map((session, i) =>
        api(srv.baseUrl, "POST", REGISTER, {
          body: { username: "contested", password: `password ${i}`, auth: { type: "m.login.dummy", session } },
        }),
      ),
    );
    const winners = results.filter((r) => r.status === 200);
    const losers = results.filter((r) => r.status !== 200);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(racers - 1);
    for (const l of losers) {
      expectError(l, 400, "M_USER_IN_USE");
      expect(l.body.access_token).toBeUndefined();
    }
    // Only the winner's password opens the account, and it has exactly the winner's one device.
    const winnerIndex = results.findIndex((r) => r.status === 200);
    for (let i = 0; i < racers; i++) {
      const res = await api(srv.baseUrl, "POST", "/_matrix/client/v3/login", {
        body: { type: "m.login.password", user: "contested", password: `password ${i}` },
      });
      expect(res.status).toBe(i === winnerIndex ? 200 : 403);
    }
    const devices = await api<{ devices: { device_id: string }[] }>(srv.baseUrl, "GET", "/_matrix/client/v3/devices", {
      token: winners[0]!.body.access_token as string,
    });
    expect(devices.body.devices.map((d) => d.device_id)).toContain(winners[0]!.body.device_id as string);
    expect(devices.body.devices).toHaveLength(2); // the registration's device and the login above
  });
});

describe("registration options", () => {
  test("device_id and initial_device_display_name name the new device", async () => {
    const s = await registerUser(srv.baseUrl, "withdevice", PASSWORD, { device_id: "MYPHONE", initial_device_display_name: "Jungle Phone" });
    expect(s.device_id).toBe("MYPHONE");
    const device = await api(srv.baseUrl, "GET", "/_matrix/client/v3/devices/MYPHONE", { token: s.access_token });
    expect(device.body).toMatchObject({ device_id: "MYPHONE", display_name: "Jungle Phone" });
  });

  test("inhibit_login creates the account without a device or token", async () => {
    const res = await registerUser(srv.baseUrl, "inhibited", PASSWORD, { inhibit_login: true });
    expect(res.user_id).toBe("@inhibited:localhost");
    expect(res.access_token).toBeUndefined();
    expect(res.device_id).toBeUndefined();
    const s = await loginUser(srv.baseUrl, "inhibited");
    const devices = await api<{ devices: unknown[] }>(srv.baseUrl, "GET", "/_matrix/client/v3/devices", { token: s.access_token });
    expect(devices.body.devices).toHaveLength(1);
  });

  test("refresh_token is accepted and no refresh token is issued", async () => {
    const s = await registerUser(srv.baseUrl, "norefresh", PASSWORD, { refresh_token: true });
    expect(s).not.toHaveProperty("refresh_token");
    expect(s).not.toHaveProperty("expires_in_ms");
  });

  test("guest registration is refused with 403 M_FORBIDDEN (allow_guest_registration is off by default)", async () => {
    const res = await api(srv.baseUrl, "POST", `${REGISTER}?kind=guest`, { body: {} });
    expectError(res, 403, "M_FORBIDDEN");
  });

  test("an unknown kind is M_INVALID_PARAM", async () => {
    const res = await api(srv.baseUrl, "POST", `${REGISTER}?kind=robot`, { body: {} });
    expectError(res, 400, "M_INVALID_PARAM");
  });

  test("wrong field types are M_BAD_JSON naming the field", async () => {
    const res = await api(srv.baseUrl, "POST", REGISTER, { body: { username: 42, password: PASSWORD } });
    expectError(res, 400, "M_BAD_JSON");
    expect(res.body.error).toContain("username");
  });
});

describe("GET /register/available", () => {
  test("free names are available, taken ones M_USER_IN_USE, invalid ones M_INVALID_USERNAME", async () => {
    await registerUser(srv.baseUrl, "occupied");
    const free = await api(srv.baseUrl, "GET", "/_matrix/client/v3/register/available?username=vacant");
    expect(free.status).toBe(200);
    expect(free.body).toEqual({ available: true });
    const taken = await api(srv.baseUrl, "GET", "/_matrix/client/v3/register/available?username=Occupied");
    expectError(taken, 400, "M_USER_IN_USE");
    const invalid = await api(srv.baseUrl, "GET", "/_matrix/client/v3/register/available?username=no%20spaces");
    expectError(invalid, 400, "M_INVALID_USERNAME");
  });

  test("unknown query parameters are ignored; a missing username is M_INVALID_PARAM", async () => {
    const res = await api(srv.baseUrl, "GET", "/_matrix/client/v3/register/available?username=extra&whatever=1");
    expect(res.status).toBe(200);
    const missing = await api(srv.baseUrl, "GET", "/_matrix/client/v3/register/available");
    expectError(missing, 400, "M_INVALID_PARAM");
  });

  test("the legacy r0 path registers too", async () => {
    const first = await api<UiaResponse>(srv.baseUrl, "POST", "/_matrix/client/r0/register", { body: { username: "legacy", password: PASSWORD } });
    expect(first.status).toBe(401);
    const res = await api(srv.baseUrl, "POST", "/_matrix/client/r0/register", {
      body: { username: "legacy", password: PASSWORD, auth: { type: "m.login.dummy", session: first.body.session } },
    });
    expect(res.status).toBe(200);
  });
});

describe("with a registration token", () => {
  const tokenServer = serverForTests({ toml: 'registration_token = "s3cret-Token"' });

  test("the only flow requires the token; dummy auth does not register", async () => {
    const first = await api<UiaResponse>(tokenServer.baseUrl, "POST", REGISTER, { body: { username: "tok", password: PASSWORD } });
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ["m.login.registration_token"] }]);
    const dummy = await api<UiaResponse>(tokenServer.baseUrl, "POST", REGISTER, {
      body: { username: "tok", password: PASSWORD, auth: { type: "m.login.dummy", session: first.body.session } },
    });
    expectError(dummy, 401, "M_FORBIDDEN");
  });

  test("a wrong token fails the stage; the right one registers", async () => {
    const first = await api<UiaResponse>(tokenServer.baseUrl, "POST", REGISTER, { body: { username: "tok2", password: PASSWORD } });
    const session = first.body.session;
    const wrong = await api<UiaResponse>(tokenServer.baseUrl, "POST", REGISTER, {
      body: { username: "tok2", password: PASSWORD, auth: { type: "m.login.registration_token", token: "s3cret-token", session } },
    });
    expectError(wrong, 401, "M_FORBIDDEN");
    expect(wrong.body.flows).toEqual([{ stages: ["m.login.registration_token"] }]);
    expect(wrong.body.session).toBe(session);
    const right = await api(tokenServer.baseUrl, "POST", REGISTER, {
      body: { username: "tok2", password: PASSWORD, auth: { type: "m.login.registration_token", token: "s3cret-Token", session } },
    });
    expect(right.status).toBe(200);
    expect(right.body.user_id).toBe("@tok2:localhost");
  });

  test("the validity endpoint tells a valid token from an invalid one", async () => {
    const path = "/_matrix/client/v1/register/m.login.registration_token/validity";
    expect((await api(tokenServer.baseUrl, "GET", `${path}?token=s3cret-Token`)).body).toEqual({ valid: true });
    expect((await api(tokenServer.baseUrl, "GET", `${path}?token=nope`)).body).toEqual({ valid: false });
  });

  test("without a configured token, no token is valid", async () => {
    const res = await api(srv.baseUrl, "GET", "/_matrix/client/v1/register/m.login.registration_token/validity?token=anything");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ valid: false });
  });
});

describe("with registration disabled", () => {
  const closed = serverForTests({ env: { CONDUIT_ALLOW_REGISTRATION: "false" } });

  test("register, available and token validity are 403 M_FORBIDDEN", async () => {
    for (const [method, path] of [
      ["POST", REGISTER],
      ["GET", "/_matrix/client/v3/register/available?username=someone"],
      ["GET", "/_matrix/client/v1/register/m.login.registration_token/validity?token=x"],
    ] as const) {
      const res = await api(closed.baseUrl, method, path, method === "POST" ? { body: { username: "x", password: PASSWORD } } : {});
      expectError(res, 403, "M_FORBIDDEN");
    }
  });
});
