// The requester's own account over HTTP: whoami, password change and deactivation behind UIA
// (m.login.password), and how UIA sessions stay bound to their user and operation.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, loginUser, passwordAuth, registerUser } from "../helpers/client";
import { startServer, type TestServer } from "../helpers/server";

const PASSWORD_PATH = "/_matrix/client/v3/account/password";
const DEACTIVATE = "/_matrix/client/v3/account/deactivate";
const WHOAMI = "/_matrix/client/v3/account/whoami";

interface UiaBody {
  flows: { stages: string[] }[];
  session: string;
  completed?: string[];
  errcode?: string;
}

let server: TestServer;
let base: string;
beforeAll(async () => {
  server = await startServer();
  base = server.baseUrl;
});
afterAll(() => server.stop());

async function startUia(path: string, token: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await api<UiaBody>(base, "POST", path, { token, body });
  expect(res.status).toBe(401);
  expect(res.body.flows).toEqual([{ stages: ["m.login.password"] }]);
  expect(res.body.errcode).toBeUndefined();
  return res.body.session;
}

test("whoami names the user and device of the token", async () => {
  const s = await registerUser(base, "who", undefined, { device_id: "WHODEV" });
  const res = await api(base, "GET", WHOAMI, { token: s.access_token });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ user_id: "@who:localhost", device_id: "WHODEV", is_guest: false });
});

describe("POST /account/password", () => {
  test("needs the current password; then the new one works, the old one not", async () => {
    const s = await registerUser(base, "pw1", "old password");
    const session = await startUia(PASSWORD_PATH, s.access_token, { new_password: "new password" });
    const wrong = await api<UiaBody>(base, "POST", PASSWORD_PATH, {
      token: s.access_token,
      body: { new_password: "new password", auth: passwordAuth(s.user_id, session, "not it") },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe("M_FORBIDDEN");
    expect(wrong.body.session).toBe(session);
    expect(wrong.body.flows).toEqual([{ stages: ["m.login.password"] }]);

    const ok = await api(base, "POST", PASSWORD_PATH, {
      token: s.access_token,
      body: { new_password: "new password", auth: passwordAuth(s.user_id, session, "old password") },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({});
    const oldLogin = await api(base, "POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", user: "pw1", password: "old password" },
    });
    expect(oldLogin.status).toBe(403);
    expect((await loginUser(base, "pw1", "new password")).user_id).toBe("@pw1:localhost");
  });

  test("logs out every other device by default, keeping the requester's", async () => {
    const s = await registerUser(base, "pw2", "old password");
    const other = await loginUser(base, "pw2", "old password");
    const session = await startUia(PASSWORD_PATH, s.access_token, { new_password: "new password" });
    const res = await api(base, "POST", PASSWORD_PATH, {
      token: s.access_token,
      body: { new_password: "new password", auth: passwordAuth("pw2", session, "old password") },
    });
    expect(res.status).toBe(200);
    expect((await api(base, "GET", WHOAMI, { token: other.access_token })).status).toBe(401);
    expect((await api(base, "GET", WHOAMI, { token: s.access_token })).status).toBe(200);
  });

  test("logout_devices: false keeps the other devices", async () => {
    const s = await registerUser(base, "pw3", "old password");
    const other = await loginUser(base, "pw3", "old password");
    const session = await startUia(PASSWORD_PATH, s.access_token, { new_password: "x2" });
    const res = await api(base, "POST", PASSWORD_PATH, {
      token: s.access_token,
      body: { new_password: "x2", logout_devices: false, auth: passwordAuth(s.user_id, session, "old password") },
    });
    expect(res.status).toBe(200);
    expect((await api(base, "GET", WHOAMI, { token: other.access_token })).status).toBe(200);
  });

  test("new_password is required and must be a string", async () => {
    const s = await registerUser(base, "pw4");
    for (const body of [{}, { new_password: 5 }]) {
      const res = await api(base, "POST", PASSWORD_PATH, { token: s.access_token, body });
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe("M_BAD_JSON");
      expect(res.body.error).toContain("new_password");
    }
  });

  test("needs an access token", async () => {
    const res = await api(base, "POST", PASSWORD_PATH, { body: { new_password: "x" } });
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_MISSING_TOKEN");
  });
});

describe("UIA sessions are bound", () => {
  test("another user's password does not complete my stage", async () => {
    const me = await registerUser(base, "bound1");
    const them = await registerUser(base, "bound2");
    const session = await startUia(PASSWORD_PATH, me.access_token, { new_password: "hijack" });
    const res = await api<UiaBody>(base, "POST", PASSWORD_PATH, {
      token: me.access_token,
      body: { new_password: "hijack", auth: passwordAuth(them.user_id, session) },
    });
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
  });

  test("another user cannot use my session", async () => {
    const me = await registerUser(base, "bound3");
    const them = await registerUser(base, "bound4");
    const session = await startUia(PASSWORD_PATH, me.access_token, { new_password: "x" });
    const res = await api(base, "POST", PASSWORD_PATH, {
      token: them.access_token,
      body: { new_password: "x", auth: passwordAuth(them.user_id, session) },
    });
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
  });

  test("a session started for one operation cannot authorise another", async () => {
    const me = await registerUser(base, "bound5");
    const session = await startUia(PASSWORD_PATH, me.access_token, { new_password: "x" });
    const res = await api(base, "POST", DEACTIVATE, { token: me.access_token, body: { auth: passwordAuth(me.user_id, session) } });
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
    // Still active: the deactivation did not happen.
    expect((await api(base, "GET", WHOAMI, { token: me.access_token })).status).toBe(200);
  });

  test("a registration session cannot authorise a password change", async () => {
    const me = await registerUser(base, "bound6");
    const reg = await api<UiaBody>(base, "POST", "/_matrix/client/v3/register", { body: { username: "bound7", password: "x" } });
    const res = await api(base, "POST", PASSWORD_PATH, {
      token: me.access_token,
      body: { new_password: "x", auth: { type: "m.login.dummy", session: reg.body.session } },
    });
    expect(res.status).toBe(403);
  });

  test("dummy auth is not accepted where the password is required", async () => {
    const me = await registerUser(base, "bound8");
    const session = await startUia(PASSWORD_PATH, me.access_token, { new_password: "x" });
    const res = await api<UiaBody>(base, "POST", PASSWORD_PATH, {
      token: me.access_token,
      body: { new_password: "x", auth: { type: "m.login.dummy", session } },
    });
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
  });
});

describe("POST /account/deactivate", () => {
  test("after UIA: tokens die, login says M_USER_DEACTIVATED, the profile is gone, the name stays taken", async () => {
    const s = await registerUser(base, "leaver");
    const other = await loginUser(base, "leaver");
    await api(base, "PUT", `/_matrix/client/v3/profile/${s.user_id}/avatar_url`, {
      token: s.access_token,
      body: { avatar_url: "mxc://localhost/abc" },
    });
    const session = await startUia(DEACTIVATE, s.access_token);
    const res = await api(base, "POST", DEACTIVATE, {
      token: s.access_token,
      body: { auth: passwordAuth(s.user_id, session), erase: true },
    });
    expect(res.status).toBe(200);
    // No third-party identifiers are ever bound here, and the spec asks for "success" then.
    expect(res.body).toEqual({ id_server_unbind_result: "success" });

    for (const token of [s.access_token, other.access_token]) {
      const who = await api(base, "GET", WHOAMI, { token });
      expect(who.status).toBe(401);
      expect(who.body.errcode).toBe("M_UNKNOWN_TOKEN");
    }
    const login = await api(base, "POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", user: "leaver", password: "correct horse battery staple" },
    });
    expect(login.status).toBe(403);
    expect(login.body.errcode).toBe("M_USER_DEACTIVATED");
    const profile = await api(base, "GET", `/_matrix/client/v3/profile/${s.user_id}`);
    expect(profile.status).toBe(404);
    const again = await api(base, "POST", "/_matrix/client/v3/register", { body: { username: "leaver", password: "x" } });
    expect(again.status).toBe(400);
    expect(again.body.errcode).toBe("M_USER_IN_USE");
  });

  test("a wrong password does not deactivate", async () => {
    const s = await registerUser(base, "stayer");
    const session = await startUia(DEACTIVATE, s.access_token);
    const res = await api(base, "POST", DEACTIVATE, {
      token: s.access_token,
      body: { auth: passwordAuth(s.user_id, session, "wrong") },
    });
    expect(res.status).toBe(401);
    expect((await api(base, "GET", WHOAMI, { token: s.access_token })).status).toBe(200);
  });
});
