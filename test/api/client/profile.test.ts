// Profiles over HTTP: reading anyone's, writing only one's own, the classic fields and (v1.16)
// m.tz and custom keys, with the spec's errors.
import { beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, registerUser, type Session } from "../../helpers/client";
import { serverForTests } from "../../helpers/server";

const srv = serverForTests();
let alice: Session;
let bob: Session;
beforeAll(async () => {
  alice = await registerUser(srv.baseUrl, "alice");
  bob = await registerUser(srv.baseUrl, "bob");
});

const profilePath = (userId: string, key?: string) =>
  `/_matrix/client/v3/profile/${encodeURIComponent(userId)}${key === undefined ? "" : `/${encodeURIComponent(key)}`}`;

function put(session: Session, key: string, body: unknown, userId = session.user_id) {
  return api(srv.baseUrl, "PUT", profilePath(userId, key), { token: session.access_token, body });
}

describe("reading", () => {
  test("a new account's display name is its localpart and it has no avatar", async () => {
    const s = await registerUser(srv.baseUrl, "fresh");
    expect((await api(srv.baseUrl, "GET", profilePath(s.user_id))).body).toEqual({ displayname: "fresh" });
    expect((await api(srv.baseUrl, "GET", profilePath(s.user_id, "displayname"))).body).toEqual({ displayname: "fresh" });
    const avatar = await api(srv.baseUrl, "GET", profilePath(s.user_id, "avatar_url"));
    expectError(avatar, 404, "M_NOT_FOUND");
  });

  test("an unknown local user is 404 M_NOT_FOUND", async () => {
    const res = await api(srv.baseUrl, "GET", profilePath("@nobody:localhost"));
    expectError(res, 404, "M_NOT_FOUND");
    expect((await api(srv.baseUrl, "GET", profilePath("@nobody:localhost", "displayname"))).status).toBe(404);
  });

  test("a user of a server that cannot be reached is 502 (their server is asked)", async () => {
    // Profiles of other servers' users come from those servers (test/federation covers the answers).
    const res = await api(srv.baseUrl, "GET", profilePath("@someone:elsewhere.example"));
    expectError(res, 502, "M_UNKNOWN");
  });

  test("reading needs no access token", async () => {
    expect((await api(srv.baseUrl, "GET", profilePath(alice.user_id))).status).toBe(200);
  });
});

describe("writing the classic fields", () => {
  test("displayname and avatar_url are set, read back, and cleared with an empty string", async () => {
    expect((await put(alice, "displayname", { displayname: "Alice Margatroid" })).status).toBe(200);
    expect((await put(alice, "avatar_url", { avatar_url: "mxc://localhost/SDGdghriugerRg" })).status).toBe(200);
    expect((await api(srv.baseUrl, "GET", profilePath(alice.user_id))).body).toEqual({
      displayname: "Alice Margatroid",
      avatar_url: "mxc://localhost/SDGdghriugerRg",
    });
    expect((await put(alice, "avatar_url", { avatar_url: "" })).status).toBe(200);
    expect((await api(srv.baseUrl, "GET", profilePath(alice.user_id))).body).toEqual({ displayname: "Alice Margatroid" });
  });

  test("another user's profile is 403 M_FORBIDDEN and stays unchanged", async () => {
    const res = await put(bob, "displayname", { displayname: "Impostor" }, alice.user_id);
    expectError(res, 403, "M_FORBIDDEN");
    expect((await api(srv.baseUrl, "GET", profilePath(alice.user_id, "displayname"))).body.displayname).not.toBe("Impostor");
  });

  test("writing needs an access token", async () => {
    const res = await api(srv.baseUrl, "PUT", profilePath(alice.user_id, "displayname"), { body: { displayname: "x" } });
    expectError(res, 401, "M_MISSING_TOKEN");
  });

  test("values of the wrong type are M_BAD_JSON; an avatar that is not a URI is M_INVALID_PARAM, any URI is kept", async () => {
    const wrongType = await put(bob, "displayname", { displayname: 7 });
    expectError(wrongType, 400, "M_BAD_JSON");
    for (const bad of ["a.png", "no scheme here", `mxc://${"x".repeat(1000)}`]) {
      expectError(await put(bob, "avatar_url", { avatar_url: bad }), 400, "M_INVALID_PARAM");
    }
    // The spec types it as a URI: appservices and bridges set http(s) ones, as Synapse allows.
    expect((await put(bob, "avatar_url", { avatar_url: "https://example.org/a.png" })).status).toBe(200);
    expect((await api(srv.baseUrl, "GET", profilePath(bob.user_id, "avatar_url"))).body).toEqual({ avatar_url: "https://example.org/a.png" });
  });

  test("a body without the key is M_MISSING_PARAM", async () => {
    const res = await put(bob, "displayname", { avatar_url: "mxc://localhost/x" });
    expectError(res, 400, "M_MISSING_PARAM");
  });

  test("DELETE removes a classic field", async () => {
    const s = await registerUser(srv.baseUrl, "deleter");
    const res = await api(srv.baseUrl, "DELETE", profilePath(s.user_id, "displayname"), { token: s.access_token });
    expect(res.status).toBe(200);
    expect((await api(srv.baseUrl, "GET", profilePath(s.user_id))).body).toEqual({});
  });
});

describe("extended profile fields (since v1.16)", () => {
  test("m.tz and custom namespaced keys hold their JSON values", async () => {
    expect((await put(bob, "m.tz", { "m.tz": "Europe/London" })).status).toBe(200);
    const custom = { nested: { list: [1, "two", null, true] } };
    expect((await put(bob, "org.example.custom_field", { "org.example.custom_field": custom })).status).toBe(200);
    expect((await api(srv.baseUrl, "GET", profilePath(bob.user_id, "org.example.custom_field"))).body).toEqual({
      "org.example.custom_field": custom,
    });
    expect((await api(srv.baseUrl, "GET", profilePath(bob.user_id))).body).toMatchObject({
      displayname: "bob",
      "m.tz": "Europe/London",
      "org.example.custom_field": custom,
    });
  });

  test("DELETE removes a field, and succeeds when it is already gone", async () => {
    await put(bob, "org.example.temp", { "org.example.temp": 1 });
    for (let i = 0; i < 2; i++) {
      const res = await api(srv.baseUrl, "DELETE", profilePath(bob.user_id, "org.example.temp"), { token: bob.access_token });
      expect(res.status).toBe(200);
    }
    expect((await api(srv.baseUrl, "GET", profilePath(bob.user_id, "org.example.temp"))).status).toBe(404);
  });

  test("keys outside the grammar are M_INVALID_PARAM; keys over 255 bytes M_KEY_TOO_LARGE", async () => {
    for (const key of ["nodots", "Upper.case", "org.example.", "1org.example"]) {
      const res = await put(bob, key, { [key]: 1 });
      expectError(res, 400, "M_INVALID_PARAM");
    }
    const long = `org.${"a".repeat(252)}`;
    const res = await put(bob, long, { [long]: 1 });
    expectError(res, 400, "M_KEY_TOO_LARGE");
  });

  test("a profile over 64 KiB is M_PROFILE_TOO_LARGE and is not stored", async () => {
    const s = await registerUser(srv.baseUrl, "hoarder");
    expect((await put(s, "org.example.a", { "org.example.a": "x".repeat(40_000) })).status).toBe(200);
    const res = await put(s, "org.example.b", { "org.example.b": "y".repeat(40_000) });
    expectError(res, 400, "M_PROFILE_TOO_LARGE");
    expect((await api(srv.baseUrl, "GET", profilePath(s.user_id, "org.example.b"))).status).toBe(404);
  });
});
