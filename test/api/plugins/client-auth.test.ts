// Access tokens over real HTTP: in the Authorization header or the (deprecated, still specified)
// access_token query parameter; the header wins when both are given; neither form reaches the log;
// a token the server holds in memory stops working at once however it was revoked.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, loginUser, passwordAuth, registerUser, type Session } from "../../helpers/client";
import { startServer, type TestServer } from "../../helpers/server";

let server: TestServer;
let alice: Session;
let bob: Session;
beforeAll(async () => {
  server = await startServer({ env: { CONDUIT_LOG: "debug" } });
  alice = await registerUser(server.baseUrl, "alice");
  bob = await registerUser(server.baseUrl, "bob");
});
afterAll(() => server.stop());

const whoami = (query: string, token?: string) => api(server.baseUrl, "GET", `/_matrix/client/v3/account/whoami${query}`, { token });

test("a token in the access_token query parameter authenticates", async () => {
  const res = await whoami(`?access_token=${encodeURIComponent(alice.access_token)}`);
  expect(res.status).toBe(200);
  expect(res.body.user_id).toBe(alice.user_id);
  // Also on the legacy r0 path, and beside other parameters.
  const r0 = await api(server.baseUrl, "GET", `/_matrix/client/r0/account/whoami?x=1&access_token=${alice.access_token}`);
  expect(r0.body.user_id).toBe(alice.user_id);
});

test("the header wins over the query parameter", async () => {
  expect((await whoami(`?access_token=${bob.access_token}`, alice.access_token)).body.user_id).toBe(alice.user_id);
  expect((await whoami("?access_token=not-a-token", alice.access_token)).body.user_id).toBe(alice.user_id);
  expectError(await whoami(`?access_token=${alice.access_token}`, "not-a-token"), 401, "M_UNKNOWN_TOKEN");
});

test("a missing or unknown query token is refused as a missing or unknown header token is", async () => {
  expectError(await whoami(""), 401, "M_MISSING_TOKEN");
  expectError(await whoami("?access_token="), 401, "M_MISSING_TOKEN");
  expectError(await whoami("?access_token=not-a-token"), 401, "M_UNKNOWN_TOKEN");
});

test("a query token works on writes too, and a logged-out one stops working", async () => {
  const session = await registerUser(server.baseUrl, "carol");
  const q = `?access_token=${session.access_token}`;
  const put = await api(server.baseUrl, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(session.user_id)}/displayname${q}`, {
    body: { displayname: "Carol" },
  });
  expect(put.status).toBe(200);
  expect((await api(server.baseUrl, "POST", `/_matrix/client/v3/logout${q}`, { body: {} })).status).toBe(200);
  expectError(await whoami(q), 401, "M_UNKNOWN_TOKEN");
});

test("neither the header nor the query token appears in the server's log", async () => {
  await whoami(`?access_token=${alice.access_token}`);
  await whoami("", bob.access_token);
  await whoami(`?access_token=${alice.access_token}`, bob.access_token);
  // The log line of the last request is written after its response: wait until it is there.
  const deadline = Date.now() + 5000;
  while (server.output.filter((l) => l.includes("/account/whoami")).length < 3 && Date.now() < deadline) await Bun.sleep(20);
  const whoamiLines = server.output.filter((l) => l.includes("/account/whoami"));
  expect(whoamiLines.length).toBeGreaterThanOrEqual(3);
  const log = server.output.join("\n");
  for (const token of [alice.access_token, bob.access_token]) expect(log).not.toContain(token);
  expect(log).not.toContain("access_token=");
});

describe("revoked tokens fail at their next use, though the server has them in memory", () => {
  const password = "correct horse battery staple";
  /** Two sessions of a new user, each used (and so cached) before the revocation. */
  async function twoUsedSessions(name: string): Promise<[Session, Session]> {
    const first = await registerUser(server.baseUrl, name, password);
    const second = await loginUser(server.baseUrl, name, password);
    for (const s of [first, second]) expect((await whoami("", s.access_token)).status).toBe(200);
    return [first, second];
  }
  /** Runs a UIA-protected request with the password stage. */
  async function withPassword(s: Session, method: string, path: string, body: Record<string, unknown>) {
    const start = await api<{ session: string }>(server.baseUrl, method, path, { token: s.access_token, body });
    expect(start.status).toBe(401);
    const done = await api(server.baseUrl, method, path, { token: s.access_token, body: { ...body, auth: passwordAuth(s.user_id, start.body.session, password) } });
    expect(done.status).toBe(200);
  }

  test("logout ends that token only", async () => {
    const [a, b] = await twoUsedSessions("cache_logout");
    expect((await api(server.baseUrl, "POST", "/_matrix/client/v3/logout", { token: a.access_token, body: {} })).status).toBe(200);
    expectError(await whoami("", a.access_token), 401, "M_UNKNOWN_TOKEN");
    expect((await whoami("", b.access_token)).status).toBe(200);
  });

  test("logout/all ends every token of the user", async () => {
    const [a, b] = await twoUsedSessions("cache_logout_all");
    expect((await api(server.baseUrl, "POST", "/_matrix/client/v3/logout/all", { token: a.access_token, body: {} })).status).toBe(200);
    expectError(await whoami("", a.access_token), 401, "M_UNKNOWN_TOKEN");
    expectError(await whoami("", b.access_token), 401, "M_UNKNOWN_TOKEN");
  });

  test("deleting a device ends its token", async () => {
    const [a, b] = await twoUsedSessions("cache_device");
    await withPassword(a, "DELETE", `/_matrix/client/v3/devices/${encodeURIComponent(b.device_id)}`, {});
    expectError(await whoami("", b.access_token), 401, "M_UNKNOWN_TOKEN");
    expect((await whoami("", a.access_token)).status).toBe(200);
  });

  test("a password change logs out the other devices", async () => {
    const [a, b] = await twoUsedSessions("cache_password");
    await withPassword(a, "POST", "/_matrix/client/v3/account/password", { new_password: "another horse battery staple" });
    expectError(await whoami("", b.access_token), 401, "M_UNKNOWN_TOKEN");
    expect((await whoami("", a.access_token)).status).toBe(200);
  });

  test("deactivation ends every token", async () => {
    const [a, b] = await twoUsedSessions("cache_deactivate");
    await withPassword(a, "POST", "/_matrix/client/v3/account/deactivate", {});
    for (const s of [a, b]) expect((await whoami("", s.access_token)).status).toBe(401);
  });
});
