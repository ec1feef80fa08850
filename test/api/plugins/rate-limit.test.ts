// Rate limits over HTTP, on servers started with small limits: logins per address, failed logins
// per address and user (also through UIA) and per account, registrations per address, and room
// creation, joins and invites per user. Over the limit: 429 M_LIMIT_EXCEEDED with retry_after_ms
// and a Retry-After header.
import { beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, passwordAuth, registerUser, type ApiResponse } from "../../helpers/client";
import { serverForTests } from "../../helpers/server";

const LOGIN = "/_matrix/client/v3/login";
/** Slow enough that no token comes back during a test. */
const SLOW = 0.001;

function expectLimited(res: ApiResponse): void {
  expectError(res, 429, "M_LIMIT_EXCEEDED");
  const retryMs = res.body.retry_after_ms as number;
  expect(retryMs).toBeGreaterThan(0);
  const header = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(header)).toBe(true);
  expect(header).toBe(Math.ceil(retryMs / 1000));
}

function login(base: string, user: string, password: string, headers?: Record<string, string>) {
  return api(base, "POST", LOGIN, { body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password }, headers });
}

describe("login, per client address", () => {
  const server = serverForTests({ rateLimits: { login: { per_second: SLOW, burst: 3 } } });
  beforeAll(async () => {
    await registerUser(server.baseUrl, "alice");
  });

  test("every attempt counts; past the burst the next one is refused", async () => {
    expect((await login(server.baseUrl, "alice", "correct horse battery staple")).status).toBe(200);
    expect((await login(server.baseUrl, "alice", "wrong")).status).toBe(403);
    expect((await login(server.baseUrl, "nobody", "wrong")).status).toBe(403);
    expectLimited(await login(server.baseUrl, "alice", "correct horse battery staple"));
  });

  test("other endpoints are not affected", async () => {
    expect((await api(server.baseUrl, "GET", LOGIN)).status).toBe(200);
  });
});

describe("failed logins per address and user", () => {
  const server = serverForTests({
      rateLimits: { failed_login: { per_second: SLOW, burst: 2 }, register: { per_second: SLOW, burst: 4 } },
    });

  test("after two wrong passwords even the right one is refused, for that user only", async () => {
    await registerUser(server.baseUrl, "alice");
    await registerUser(server.baseUrl, "bob");
    expect((await login(server.baseUrl, "alice", "wrong 1")).status).toBe(403);
    expect((await login(server.baseUrl, "alice", "wrong 2")).status).toBe(403);
    expectLimited(await login(server.baseUrl, "alice", "correct horse battery staple"));
    expect((await login(server.baseUrl, "bob", "correct horse battery staple")).status).toBe(200);
  });

  test("wrong passwords in a UIA stage count as failed logins too", async () => {
    const carol = await registerUser(server.baseUrl, "carol");
    const path = "/_matrix/client/v3/account/password";
    const first = await api<{ session: string }>(server.baseUrl, "POST", path, {
      token: carol.access_token,
      body: { new_password: "x" },
    });
    const attempt = (password: string) =>
      api(server.baseUrl, "POST", path, {
        token: carol.access_token,
        body: { new_password: "x", auth: passwordAuth(carol.user_id, first.body.session, password) },
      });
    expect((await attempt("wrong 1")).status).toBe(401);
    expect((await attempt("wrong 2")).status).toBe(401);
    expectLimited(await attempt("correct horse battery staple"));
  });
});

describe("failed logins per account", () => {
  const server = serverForTests({
    rateLimits: { failed_login: { per_second: SLOW, burst: 10 }, failed_login_account: { per_second: SLOW, burst: 3 } },
  });

  test("wrong passwords from rotating addresses (behind the trusted proxy) use up the account's budget", async () => {
    await registerUser(server.baseUrl, "gina");
    await registerUser(server.baseUrl, "hank");
    const from = (i: number) => ({ "x-forwarded-for": `203.0.113.${i}` });
    for (let i = 1; i <= 3; i++) expect((await login(server.baseUrl, "gina", `wrong ${i}`, from(i))).status).toBe(403);
    expectLimited(await login(server.baseUrl, "gina", "correct horse battery staple", from(4)));
    expect((await login(server.baseUrl, "hank", "correct horse battery staple", from(5))).status).toBe(200);
  });
});

describe("room creation, joins and invites per user", () => {
  const server = serverForTests({
    rateLimits: { room_creation: { per_second: SLOW, burst: 2 }, join: { per_second: SLOW, burst: 1 }, invite: { per_second: SLOW, burst: 1 } },
  });

  test("past each burst the user is refused, and other users are not", async () => {
    const ivy = await registerUser(server.baseUrl, "ivy");
    const jon = await registerUser(server.baseUrl, "jon");
    const kim = await registerUser(server.baseUrl, "kim");
    const as = (who: { access_token: string }, method: string, path: string, body: unknown = {}) =>
      api<{ room_id: string }>(server.baseUrl, method, `/_matrix/client/v3${path}`, { token: who.access_token, body });
    const rooms: string[] = [];
    for (let i = 0; i < 2; i++) rooms.push((await as(ivy, "POST", "/createRoom", { preset: "public_chat" })).body.room_id);
    expectLimited(await as(ivy, "POST", "/createRoom", { preset: "public_chat" }));
    expect((await as(jon, "POST", "/createRoom", {})).status).toBe(200);

    const [first, second] = rooms.map(encodeURIComponent) as [string, string];
    expect((await as(jon, "POST", `/join/${first}`)).status).toBe(200);
    expectLimited(await as(jon, "POST", `/join/${second}`));
    expect((await as(kim, "POST", `/join/${second}`)).status).toBe(200);

    expect((await as(ivy, "POST", `/rooms/${first}/invite`, { user_id: kim.user_id })).status).toBe(200);
    expectLimited(await as(ivy, "POST", `/rooms/${second}/invite`, { user_id: jon.user_id }));
  });
});

describe("registrations per address", () => {
  const server = serverForTests({ rateLimits: { register: { per_second: SLOW, burst: 2 } } });

  test("registrations count once each (not per UIA round trip); past the burst new ones are refused", async () => {
    // Each registration is two requests (the UIA round trip) but one of the two allowed.
    await registerUser(server.baseUrl, "dave");
    await registerUser(server.baseUrl, "erin");
    expectLimited(await api(server.baseUrl, "POST", "/_matrix/client/v3/register", { body: { username: "frank", password: "x" } }));
  });
});

describe("disabled", () => {
  const server = serverForTests();

  test("with enabled = false nothing is limited", async () => {
    for (let i = 0; i < 12; i++) expect((await login(server.baseUrl, "nobody", "wrong")).status).toBe(403);
  });
});
