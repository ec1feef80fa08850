// The requester's own account over HTTP: whoami, password change and deactivation behind UIA
// (m.login.password), and how UIA sessions stay bound to their user and operation.
import { describe, expect, test } from "bun:test";
import { api, expectError, loginUser, passwordAuth, registerUser, type UiaResponse } from "../../helpers/client";
import { serverForTests } from "../../helpers/server";

const PASSWORD_PATH = "/_matrix/client/v3/account/password";
const DEACTIVATE = "/_matrix/client/v3/account/deactivate";
const WHOAMI = "/_matrix/client/v3/account/whoami";


const srv = serverForTests();

async function startUia(path: string, token: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await api<UiaResponse>(srv.baseUrl, "POST", path, { token, body });
  expect(res.status).toBe(401);
  expect(res.body.flows).toEqual([{ stages: ["m.login.password"] }]);
  expect(res.body.errcode).toBeUndefined();
  return res.body.session;
}

test("whoami names the user and device of the token", async () => {
  const s = await registerUser(srv.baseUrl, "who", undefined, { device_id: "WHODEV" });
  const res = await api(srv.baseUrl, "GET", WHOAMI, { token: s.access_token });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ user_id: "@who:localhost", device_id: "WHODEV", is_guest: false });
});

describe("POST /account/password", () => {
  test("needs the current password; then the new one works, the old one not", async () => {
    const s = await registerUser(srv.baseUrl, "pw1", "old password");
    const session = await startUia(PASSWORD_PATH, s.access_token, { new_password: "new password" });
    const wrong = await api<UiaResponse>(srv.baseUrl, "POST", PASSWORD_PATH, {
      token: s.access_token,
      body: { new_password: "new password", auth: passwordAuth(s.user_id, session, "not it") },
    });
    expectError(wrong, 401, "M_FORBIDDEN");
    expect(wrong.body.session).toBe(session);
    expect(wrong.body.flows).toEqual([{ stages: ["m.login.password"] }]);

    const ok = await api(srv.baseUrl, "POST", PASSWORD_PATH, {
      token: s.access_token,
      body: { new_password: "new password", auth: passwordAuth(s.user_id, session, "old password") },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({});
    const oldLogin = await api(srv.baseUrl, "POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", user: "pw1", password: "old password" },
    });
    expect(oldLogin.status).toBe(403);
    expect((await loginUser(srv.baseUrl, "pw1", "new password")).user_id).toBe("@pw1:localhost");
  });

  for (const [logoutDevices, othersSurvive] of [[undefined, false], [true, false], [false, true]] as const) {
    test(`logout_devices: ${logoutDevices} ${othersSurvive ? "keeps" : "logs out"} the other devices, never the requester's`, async () => {
      const name = `pw-${String(logoutDevices)}`;
      const s = await registerUser(srv.baseUrl, name, "old password");
      const other = await loginUser(srv.baseUrl, name, "old password");
      const session = await startUia(PASSWORD_PATH, s.access_token, { new_password: "new password" });
      const res = await api(srv.baseUrl, "POST", PASSWORD_PATH, {
        token: s.access_token,
        body: { new_password: "new password", logout_devices: logoutDevices, auth: passwordAuth(name, session, "old password") },
      });
      expect(res.status).toBe(200);
      expect((await api(srv.baseUrl, "GET", WHOAMI, { token: other.access_token })).status).toBe(othersSurvive ? 200 : 401);
      expect((await api(srv.baseUrl, "GET", WHOAMI, { token: s.access_token })).status).toBe(200);
    });
  }

  test("new_password is required and must be a string", async () => {
    const s = await registerUser(srv.baseUrl, "pw4");
    for (const body of [{}, { new_password: 5 }]) {
      const res = await api(srv.baseUrl, "POST", PASSWORD_PATH, { token: s.access_token, body });
      expectError(res, 400, "M_BAD_JSON");
      expect(res.body.error).toContain("new_password");
    }
  });

  test("needs an access token", async () => {
    const res = await api(srv.baseUrl, "POST", PASSWORD_PATH, { body: { new_password: "x" } });
    expectError(res, 401, "M_MISSING_TOKEN");
  });
});

describe("UIA sessions are bound", () => {
  test("another user's password does not complete my stage", async () => {
    const me = await registerUser(srv.baseUrl, "bound1");
    const them = await registerUser(srv.baseUrl, "bound2");
    const session = await startUia(PASSWORD_PATH, me.access_token, { new_password: "hijack" });
    const res = await api<UiaResponse>(srv.baseUrl, "POST", PASSWORD_PATH, {
      token: me.access_token,
      body: { new_password: "hijack", auth: passwordAuth(them.user_id, session) },
    });
    expectError(res, 403, "M_FORBIDDEN");
    // My password still works: nothing changed.
    await loginUser(srv.baseUrl, "bound1");
  });

  test("another user cannot use my session", async () => {
    const me = await registerUser(srv.baseUrl, "bound3");
    const them = await registerUser(srv.baseUrl, "bound4");
    const session = await startUia(PASSWORD_PATH, me.access_token, { new_password: "x" });
    const res = await api(srv.baseUrl, "POST", PASSWORD_PATH, {
      token: them.access_token,
      body: { new_password: "x", auth: passwordAuth(them.user_id, session) },
    });
    expectError(res, 403, "M_FORBIDDEN");
  });

  test("a session started for one operation cannot authorise another", async () => {
    const me = await registerUser(srv.baseUrl, "bound5");
    const session = await startUia(PASSWORD_PATH, me.access_token, { new_password: "x" });
    const res = await api(srv.baseUrl, "POST", DEACTIVATE, { token: me.access_token, body: { auth: passwordAuth(me.user_id, session) } });
    expectError(res, 403, "M_FORBIDDEN");
    // Still active: the deactivation did not happen.
    expect((await api(srv.baseUrl, "GET", WHOAMI, { token: me.access_token })).status).toBe(200);
  });

  test("a registration session cannot authorise a password change", async () => {
    const me = await registerUser(srv.baseUrl, "bound6");
    const reg = await api<UiaResponse>(srv.baseUrl, "POST", "/_matrix/client/v3/register", { body: { username: "bound7", password: "x" } });
    const res = await api(srv.baseUrl, "POST", PASSWORD_PATH, {
      token: me.access_token,
      body: { new_password: "x", auth: { type: "m.login.dummy", session: reg.body.session } },
    });
    expect(res.status).toBe(403);
  });

  test("dummy auth is not accepted where the password is required", async () => {
    const me = await registerUser(srv.baseUrl, "bound8");
    const session = await startUia(PASSWORD_PATH, me.access_token, { new_password: "x" });
    const res = await api<UiaResponse>(srv.baseUrl, "POST", PASSWORD_PATH, {
      token: me.access_token,
      body: { new_password: "x", auth: { type: "m.login.dummy", session } },
    });
    expectError(res, 401, "M_FORBIDDEN");
  });
});

describe("POST /account/deactivate", () => {
  test("after UIA: tokens die, login says M_USER_DEACTIVATED, the profile is gone, the name stays taken", async () => {
    const s = await registerUser(srv.baseUrl, "leaver");
    const other = await loginUser(srv.baseUrl, "leaver");
    await api(srv.baseUrl, "PUT", `/_matrix/client/v3/profile/${s.user_id}/avatar_url`, {
      token: s.access_token,
      body: { avatar_url: "mxc://localhost/abc" },
    });
    const session = await startUia(DEACTIVATE, s.access_token);
    const res = await api(srv.baseUrl, "POST", DEACTIVATE, {
      token: s.access_token,
      body: { auth: passwordAuth(s.user_id, session), erase: true },
    });
    expect(res.status).toBe(200);
    // No third-party identifiers are ever bound here, and the spec asks for "success" then.
    expect(res.body).toEqual({ id_server_unbind_result: "success" });

    for (const token of [s.access_token, other.access_token]) {
      const who = await api(srv.baseUrl, "GET", WHOAMI, { token });
      expectError(who, 401, "M_UNKNOWN_TOKEN");
    }
    const login = await api(srv.baseUrl, "POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", user: "leaver", password: "correct horse battery staple" },
    });
    expectError(login, 403, "M_USER_DEACTIVATED");
    const profile = await api(srv.baseUrl, "GET", `/_matrix/client/v3/profile/${s.user_id}`);
    expect(profile.status).toBe(404);
    const again = await api(srv.baseUrl, "POST", "/_matrix/client/v3/register", { body: { username: "leaver", password: "x" } });
    expectError(again, 400, "M_USER_IN_USE");
  });

  test("a wrong password does not deactivate", async () => {
    const s = await registerUser(srv.baseUrl, "stayer");
    const session = await startUia(DEACTIVATE, s.access_token);
    const res = await api(srv.baseUrl, "POST", DEACTIVATE, {
      token: s.access_token,
      body: { auth: passwordAuth(s.user_id, session, "wrong") },
    });
    expect(res.status).toBe(401);
    expect((await api(srv.baseUrl, "GET", WHOAMI, { token: s.access_token })).status).toBe(200);
  });
});
