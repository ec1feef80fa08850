// GET/POST /login, /logout and /logout/all, and how access tokens are refused, over HTTP.
import { beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, loginUser, registerUser, type Session } from "../../helpers/client";
import { serverForTests } from "../../helpers/server";

const LOGIN = "/_matrix/client/v3/login";
const WHOAMI = "/_matrix/client/v3/account/whoami";
const PASSWORD = "correct horse battery staple";

const srv = serverForTests({ toml: 'well_known = { client = "https://matrix.example.org" }' });
beforeAll(async () => {
  await registerUser(srv.baseUrl, "alice");
});

async function whoami(token: string) {
  return api(srv.baseUrl, "GET", WHOAMI, { token });
}

async function deviceIds(token: string): Promise<string[]> {
  const res = await api<{ devices: { device_id: string }[] }>(srv.baseUrl, "GET", "/_matrix/client/v3/devices", { token });
  return res.body.devices.map((d) => d.device_id);
}

describe("GET /login", () => {
  test("advertises password login, and application services' login", async () => {
    const res = await api(srv.baseUrl, "GET", LOGIN);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ flows: [{ type: "m.login.password" }, { type: "m.login.application_service" }] });
  });
});

describe("POST /login", () => {
  test("with an m.id.user identifier (localpart) returns a working session", async () => {
    const res = await api(srv.baseUrl, "POST", LOGIN, {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: PASSWORD },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_id: "@alice:localhost", home_server: "localhost" });
    expect(res.body.well_known).toEqual({ "m.homeserver": { base_url: "https://matrix.example.org" } });
    const who = await whoami(res.body.access_token as string);
    expect(who.body).toEqual({ user_id: "@alice:localhost", device_id: res.body.device_id, is_guest: false });
  });

  test("accepts the full user id, any case, and the legacy top-level user", async () => {
    expect((await loginUser(srv.baseUrl, "@alice:localhost")).user_id).toBe("@alice:localhost");
    expect((await loginUser(srv.baseUrl, "ALICE")).user_id).toBe("@alice:localhost");
    const legacy = await api(srv.baseUrl, "POST", LOGIN, { body: { type: "m.login.password", user: "alice", password: PASSWORD } });
    expect(legacy.status).toBe(200);
    expect(legacy.body.user_id).toBe("@alice:localhost");
  });

  test("each login without device_id creates a new device with a new token", async () => {
    const a = await loginUser(srv.baseUrl, "alice");
    const b = await loginUser(srv.baseUrl, "alice");
    expect(a.device_id).not.toBe(b.device_id);
    expect(a.access_token).not.toBe(b.access_token);
    expect((await whoami(a.access_token)).status).toBe(200);
    expect((await whoami(b.access_token)).status).toBe(200);
  });

  test("reusing a device id replaces that device's token and keeps its name", async () => {
    const first = await loginUser(srv.baseUrl, "alice", PASSWORD, { device_id: "REUSED", initial_device_display_name: "First name" });
    const second = await loginUser(srv.baseUrl, "alice", PASSWORD, { device_id: "REUSED", initial_device_display_name: "Second name" });
    expect(first.device_id).toBe("REUSED");
    expect(second.device_id).toBe("REUSED");
    const old = await whoami(first.access_token);
    expectError(old, 401, "M_UNKNOWN_TOKEN");
    expect((await whoami(second.access_token)).body.device_id).toBe("REUSED");
    expect((await deviceIds(second.access_token)).filter((d) => d === "REUSED")).toHaveLength(1);
    const device = await api(srv.baseUrl, "GET", "/_matrix/client/v3/devices/REUSED", { token: second.access_token });
    expect(device.body.display_name).toBe("First name");
  });

  test("a wrong password, an unknown user and another server's user are 403 M_FORBIDDEN", async () => {
    for (const user of ["alice", "nobody", "@alice:elsewhere.example"]) {
      const password = user === "alice" ? "wrong password" : PASSWORD;
      const res = await api(srv.baseUrl, "POST", LOGIN, {
        body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password },
      });
      expectError(res, 403, "M_FORBIDDEN");
    }
  });

  test("a password over 512 bytes is 400 M_INVALID_PARAM before any hashing", async () => {
    const res = await api(srv.baseUrl, "POST", LOGIN, {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "x".repeat(10_000_000) },
    });
    expectError(res, 400, "M_INVALID_PARAM");
    expect(String(res.body.error)).toContain("512 bytes");
  });

  test("a third-party identifier is 403: none is bound to any account", async () => {
    const res = await api(srv.baseUrl, "POST", LOGIN, {
      body: { type: "m.login.password", identifier: { type: "m.id.thirdparty", medium: "email", address: "a@b.c" }, password: PASSWORD },
    });
    expectError(res, 403, "M_FORBIDDEN");
  });

  test("an unsupported login type is 400 M_UNKNOWN; a missing password is M_MISSING_PARAM", async () => {
    const token = await api(srv.baseUrl, "POST", LOGIN, { body: { type: "m.login.token", token: "abc" } });
    expectError(token, 400, "M_UNKNOWN");
    const nopass = await api(srv.baseUrl, "POST", LOGIN, { body: { type: "m.login.password", user: "alice" } });
    expectError(nopass, 400, "M_MISSING_PARAM");
  });

  test("a missing type is M_BAD_JSON naming the field", async () => {
    const res = await api(srv.baseUrl, "POST", LOGIN, { body: { user: "alice", password: PASSWORD } });
    expectError(res, 400, "M_BAD_JSON");
    expect(res.body.error).toContain("type");
  });

  test("the legacy r0 path logs in too, and unknown query parameters are ignored", async () => {
    const res = await api(srv.baseUrl, "POST", "/_matrix/client/r0/login?foo=bar", {
      body: { type: "m.login.password", user: "alice", password: PASSWORD },
    });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe("@alice:localhost");
  });
});

describe("access tokens", () => {
  test("a missing token is 401 M_MISSING_TOKEN", async () => {
    const res = await api(srv.baseUrl, "GET", WHOAMI);
    expectError(res, 401, "M_MISSING_TOKEN");
  });

  test("an unknown token is 401 M_UNKNOWN_TOKEN with soft_logout false", async () => {
    const res = await whoami("syt_not_a_real_token");
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", soft_logout: false });
  });
});

describe("logout", () => {
  let bob: Session;
  beforeAll(async () => {
    bob = await registerUser(srv.baseUrl, "bob");
  });

  test("POST /logout invalidates that token and deletes its device, leaving other sessions alone", async () => {
    const other = await loginUser(srv.baseUrl, "bob");
    const res = await api(srv.baseUrl, "POST", "/_matrix/client/v3/logout", { token: other.access_token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    const after = await whoami(other.access_token);
    expectError(after, 401, "M_UNKNOWN_TOKEN");
    expect(await deviceIds(bob.access_token)).not.toContain(other.device_id);
    expect((await whoami(bob.access_token)).status).toBe(200);
  });

  test("POST /logout/all invalidates every token of the user, and only theirs", async () => {
    const carol = await registerUser(srv.baseUrl, "carol");
    const carol2 = await loginUser(srv.baseUrl, "carol");
    const res = await api(srv.baseUrl, "POST", "/_matrix/client/v3/logout/all", { token: carol.access_token });
    expect(res.status).toBe(200);
    expect((await whoami(carol.access_token)).status).toBe(401);
    expect((await whoami(carol2.access_token)).status).toBe(401);
    expect((await whoami(bob.access_token)).status).toBe(200);
    // The account itself survives: logging in again works.
    expect((await loginUser(srv.baseUrl, "carol")).user_id).toBe("@carol:localhost");
  });

  test("logout needs a token", async () => {
    const res = await api(srv.baseUrl, "POST", "/_matrix/client/v3/logout");
    expectError(res, 401, "M_MISSING_TOKEN");
  });
});
