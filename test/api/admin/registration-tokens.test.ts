// Registration tokens made through the admin API over HTTP: CRUD, validation, and registration
// asking for them and counting their uses.
import { describe, expect, test } from "bun:test";
import { api, expectError, type UiaResponse } from "../../helpers/client";
import { serverWithAdmin } from "../../helpers/admin";

const srv = serverWithAdmin();
const TOKENS = "/_synapse/admin/v1/registration_tokens";

interface Token {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
  api<T>(srv.server.baseUrl, method, path, { token: srv.admin.access_token, body });

/** Registers `username` through the token stage; returns the final answer. */
async function registerWithToken(username: string, token: string) {
  const first = await api<UiaResponse>(srv.server.baseUrl, "POST", "/_matrix/client/v3/register", { body: { username, password: "pw" } });
  expect(first.body.flows).toEqual([{ stages: ["m.login.registration_token"] }]);
  return api<UiaResponse & { user_id?: string }>(srv.server.baseUrl, "POST", "/_matrix/client/v3/register", {
    body: { username, password: "pw", auth: { type: "m.login.registration_token", token, session: first.body.session } },
  });
}

describe("managing tokens", () => {
  test("create with a given token, read, update, list by validity, delete", async () => {
    const created = await call<Token>("POST", `${TOKENS}/new`, { token: "crud-token", uses_allowed: 5 });
    expect(created.body).toEqual({ token: "crud-token", uses_allowed: 5, pending: 0, completed: 0, expiry_time: null });
    expect((await call<Token>("GET", `${TOKENS}/crud-token`)).body.uses_allowed).toBe(5);
    const updated = await call<Token>("PUT", `${TOKENS}/crud-token`, { uses_allowed: 0, expiry_time: null });
    expect(updated.body.uses_allowed).toBe(0);
    const invalid = await call<{ registration_tokens: Token[] }>("GET", `${TOKENS}?valid=false`);
    expect(invalid.body.registration_tokens.map((t) => t.token)).toContain("crud-token");
    const valid = await call<{ registration_tokens: Token[] }>("GET", `${TOKENS}?valid=true`);
    expect(valid.body.registration_tokens.map((t) => t.token)).not.toContain("crud-token");
    expect((await call("DELETE", `${TOKENS}/crud-token`)).status).toBe(200);
    expectError(await call("GET", `${TOKENS}/crud-token`), 404, "M_NOT_FOUND");
    expectError(await call("DELETE", `${TOKENS}/crud-token`), 404, "M_NOT_FOUND");
  });

  test("a random token of the asked length; bad input is 400 M_INVALID_PARAM and creates nothing", async () => {
    const random = await call<Token>("POST", `${TOKENS}/new`, { length: 24, uses_allowed: 0 });
    expect(random.body.token).toMatch(/^[A-Za-z0-9._~-]{24}$/);
    const before = (await call<{ registration_tokens: Token[] }>("GET", TOKENS)).body.registration_tokens.length;
    for (const body of [
      { token: "has space" },
      { token: "x".repeat(65) },
      { length: 0 },
      { length: 65 },
      { uses_allowed: -1 },
      { expiry_time: 1000 },
      { token: random.body.token },
    ]) {
      expectError(await call("POST", `${TOKENS}/new`, body), 400, "M_INVALID_PARAM");
    }
    expect((await call<{ registration_tokens: Token[] }>("GET", TOKENS)).body.registration_tokens.length).toBe(before);
  });
});

describe("registration with tokens", () => {
  test("registration asks for a token, takes a valid one once per use, and refuses it when used up", async () => {
    await call("POST", `${TOKENS}/new`, { token: "one-use", uses_allowed: 1 });
    const first = await registerWithToken("tokenuser1", "one-use");
    expect(first.status).toBe(200);
    expect(first.body.user_id).toBe("@tokenuser1:localhost");
    expect((await call<Token>("GET", `${TOKENS}/one-use`)).body.completed).toBe(1);
    const second = await registerWithToken("tokenuser2", "one-use");
    expectError(second, 401, "M_FORBIDDEN");
    const validity = await api(srv.server.baseUrl, "GET", "/_matrix/client/v1/register/m.login.registration_token/validity?token=one-use");
    expect(validity.body).toEqual({ valid: false });
  });

  test("an expired token is refused; an unlimited one keeps working", async () => {
    const created = await call<Token>("POST", `${TOKENS}/new`, { token: "short-lived", expiry_time: Date.now() + 60_000 });
    expect(created.status).toBe(200);
    await call("PUT", `${TOKENS}/short-lived`, { expiry_time: Date.now() + 20 });
    // The server judges expiry by its own clock: wait until it lists the token as invalid.
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const invalid = await call<{ registration_tokens: Token[] }>("GET", `${TOKENS}?valid=false`);
      if (invalid.body.registration_tokens.some((t) => t.token === "short-lived")) break;
    }
    expectError(await registerWithToken("late", "short-lived"), 401, "M_FORBIDDEN");
    await call("POST", `${TOKENS}/new`, { token: "open-door" });
    expect((await registerWithToken("door1", "open-door")).status).toBe(200);
    expect((await registerWithToken("door2", "open-door")).status).toBe(200);
    expect((await call<Token>("GET", `${TOKENS}/open-door`)).body.completed).toBe(2);
  });

  test("a failed registration gives its use back", async () => {
    await call("POST", `${TOKENS}/new`, { token: "give-back", uses_allowed: 1 });
    const first = await api<UiaResponse>(srv.server.baseUrl, "POST", "/_matrix/client/v3/register", { body: { username: "weakling", password: "pw" } });
    const res = await api(srv.server.baseUrl, "POST", "/_matrix/client/v3/register", {
      body: { username: "weakling", password: "", auth: { type: "m.login.registration_token", token: "give-back", session: first.body.session } },
    });
    expectError(res, 400, "M_WEAK_PASSWORD");
    expect((await call<Token>("GET", `${TOKENS}/give-back`)).body.completed).toBe(0);
  });
});
