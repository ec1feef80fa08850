// Profiles over HTTP: reading anyone's, writing only one's own, the classic fields and (v1.16)
// m.tz and custom keys, with the spec's errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, registerUser, type Session } from "../helpers/client";
import { startServer, type TestServer } from "../helpers/server";

let server: TestServer;
let base: string;
let alice: Session;
let bob: Session;
beforeAll(async () => {
  server = await startServer();
  base = server.baseUrl;
  alice = await registerUser(base, "alice");
  bob = await registerUser(base, "bob");
});
afterAll(() => server.stop());

const profilePath = (userId: string, key?: string) =>
  `/_matrix/client/v3/profile/${encodeURIComponent(userId)}${key === undefined ? "" : `/${encodeURIComponent(key)}`}`;

function put(session: Session, key: string, body: unknown, userId = session.user_id) {
  return api(base, "PUT", profilePath(userId, key), { token: session.access_token, body });
}

describe("reading", () => {
  test("a new account's display name is its localpart and it has no avatar", async () => {
    const s = await registerUser(base, "fresh");
    expect((await api(base, "GET", profilePath(s.user_id))).body).toEqual({ displayname: "fresh" });
    expect((await api(base, "GET", profilePath(s.user_id, "displayname"))).body).toEqual({ displayname: "fresh" });
    const avatar = await api(base, "GET", profilePath(s.user_id, "avatar_url"));
    expect(avatar.status).toBe(404);
    expect(avatar.body.errcode).toBe("M_NOT_FOUND");
  });

  test("unknown users, local or remote, are 404 M_NOT_FOUND", async () => {
    for (const userId of ["@nobody:localhost", "@someone:elsewhere.example"]) {
      const res = await api(base, "GET", profilePath(userId));
      expect(res.status).toBe(404);
      expect(res.body.errcode).toBe("M_NOT_FOUND");
      expect((await api(base, "GET", profilePath(userId, "displayname"))).status).toBe(404);
    }
  });

  test("reading needs no access token", async () => {
    expect((await api(base, "GET", profilePath(alice.user_id))).status).toBe(200);
  });
});

describe("writing the classic fields", () => {
  test("displayname and avatar_url are set, read back, and cleared with an empty string", async () => {
    expect((await put(alice, "displayname", { displayname: "Alice Margatroid" })).status).toBe(200);
    expect((await put(alice, "avatar_url", { avatar_url: "mxc://localhost/SDGdghriugerRg" })).status).toBe(200);
    expect((await api(base, "GET", profilePath(alice.user_id))).body).toEqual({
      displayname: "Alice Margatroid",
      avatar_url: "mxc://localhost/SDGdghriugerRg",
    });
    expect((await put(alice, "avatar_url", { avatar_url: "" })).status).toBe(200);
    expect((await api(base, "GET", profilePath(alice.user_id))).body).toEqual({ displayname: "Alice Margatroid" });
  });

  test("another user's profile is 403 M_FORBIDDEN and stays unchanged", async () => {
    const res = await put(bob, "displayname", { displayname: "Impostor" }, alice.user_id);
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
    expect((await api(base, "GET", profilePath(alice.user_id, "displayname"))).body.displayname).not.toBe("Impostor");
  });

  test("writing needs an access token", async () => {
    const res = await api(base, "PUT", profilePath(alice.user_id, "displayname"), { body: { displayname: "x" } });
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_MISSING_TOKEN");
  });

  test("values of the wrong type are M_BAD_JSON; an avatar that is not an mxc URI is M_INVALID_PARAM", async () => {
    const wrongType = await put(bob, "displayname", { displayname: 7 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errcode).toBe("M_BAD_JSON");
    const notMxc = await put(bob, "avatar_url", { avatar_url: "https://example.org/a.png" });
    expect(notMxc.status).toBe(400);
    expect(notMxc.body.errcode).toBe("M_INVALID_PARAM");
  });

  test("a body without the key is M_MISSING_PARAM", async () => {
    const res = await put(bob, "displayname", { avatar_url: "mxc://localhost/x" });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_MISSING_PARAM");
  });

  test("DELETE removes a classic field", async () => {
    const s = await registerUser(base, "deleter");
    const res = await api(base, "DELETE", profilePath(s.user_id, "displayname"), { token: s.access_token });
    expect(res.status).toBe(200);
    expect((await api(base, "GET", profilePath(s.user_id))).body).toEqual({});
  });
});

describe("extended profile fields (since v1.16)", () => {
  test("m.tz and custom namespaced keys hold their JSON values", async () => {
    expect((await put(bob, "m.tz", { "m.tz": "Europe/London" })).status).toBe(200);
    const custom = { nested: { list: [1, "two", null, true] } };
    expect((await put(bob, "org.example.custom_field", { "org.example.custom_field": custom })).status).toBe(200);
    expect((await api(base, "GET", profilePath(bob.user_id, "org.example.custom_field"))).body).toEqual({
      "org.example.custom_field": custom,
    });
    expect((await api(base, "GET", profilePath(bob.user_id))).body).toMatchObject({
      displayname: "bob",
      "m.tz": "Europe/London",
      "org.example.custom_field": custom,
    });
  });

  test("DELETE removes a field, and succeeds when it is already gone", async () => {
    await put(bob, "org.example.temp", { "org.example.temp": 1 });
    for (let i = 0; i < 2; i++) {
      const res = await api(base, "DELETE", profilePath(bob.user_id, "org.example.temp"), { token: bob.access_token });
      expect(res.status).toBe(200);
    }
    expect((await api(base, "GET", profilePath(bob.user_id, "org.example.temp"))).status).toBe(404);
  });

  test("keys outside the grammar are M_INVALID_PARAM; keys over 255 bytes M_KEY_TOO_LARGE", async () => {
    for (const key of ["nodots", "Upper.case", "org.example.", "1org.example"]) {
      const res = await put(bob, key, { [key]: 1 });
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_PARAM");
    }
    const long = `org.${"a".repeat(252)}`;
    const res = await put(bob, long, { [long]: 1 });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_KEY_TOO_LARGE");
  });

  test("a profile over 64 KiB is M_PROFILE_TOO_LARGE and is not stored", async () => {
    const s = await registerUser(base, "hoarder");
    expect((await put(s, "org.example.a", { "org.example.a": "x".repeat(40_000) })).status).toBe(200);
    const res = await put(s, "org.example.b", { "org.example.b": "y".repeat(40_000) });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_PROFILE_TOO_LARGE");
    expect((await api(base, "GET", profilePath(s.user_id, "org.example.b"))).status).toBe(404);
  });
});
