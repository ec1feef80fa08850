// Questions to application services over real HTTP (spec "Querying", and the ping of v1.7): an
// unknown local user or alias in an appservice's namespace is asked of it before the client is
// told it does not exist, and counts only once it exists; `POST /appservice/{id}/ping` calls the
// appservice's `/_matrix/app/v1/ping` with the hs_token and maps every failure to the spec's code.
// Another server's `/query/directory` for an unknown alias asks the same way.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enc } from "../../helpers/as-user";
import { appserviceFilesToml, startTestAppservice, writeRegistration, type TestAppservice } from "../../helpers/appservice";
import { api, expectError } from "../../helpers/client";
import { startFederatedPair } from "../../helpers/federation";
import { startServer, type TestServer } from "../../helpers/server";
import { addUser, type TestUser } from "../../helpers/users";

const dir = mkdtempSync(join(tmpdir(), "conduit-as-queries-"));
let server: TestServer;
let alice: TestUser;
let bridge: TestAppservice;
/** A port nothing listens on (an appservice that is down). */
let closedUrl: string;

beforeAll(async () => {
  bridge = startTestAppservice();
  const closed = startTestAppservice();
  closedUrl = closed.url;
  closed.stop();
  const files = [
    writeRegistration(dir, { id: "bridge", url: bridge.url, users: ["@bridge_.*"], aliases: ["#bridge_.*"] }),
    writeRegistration(dir, { id: "silent", url: null, users: ["@silent_.*"] }),
    writeRegistration(dir, { id: "down", url: closedUrl, users: ["@down_.*"] }),
  ];
  server = await startServer({ toml: appserviceFilesToml(files) });
  alice = await addUser(server, "alice");
});
afterAll(async () => {
  await server?.stop();
  bridge?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const client = (method: string, path: string, token: string, body?: unknown) => api(server.baseUrl, method, `/_matrix/client/v3${path}`, { token, body });

describe("user queries", () => {
  test("an unknown user of the namespace is asked of the appservice, which creates it", async () => {
    bridge.onUserQuery = async (userId) => {
      const localpart = userId.slice(1, userId.indexOf(":"));
      const res = await client("POST", "/register", "as-bridge", { type: "m.login.application_service", username: localpart, inhibit_login: true });
      return res.status === 200 ? 200 : 500;
    };
    const res = await alice.call("GET", `/profile/${enc("@bridge_new:localhost")}`);
    expect(res.status).toBe(200);
    expect(bridge.userQueries).toContain("@bridge_new:localhost");
    // It exists now: no second question.
    const asked = bridge.userQueries.length;
    expect((await alice.call("GET", `/profile/${enc("@bridge_new:localhost")}/displayname`)).status).toBe(200);
    expect(bridge.userQueries.length).toBe(asked);
  });

  test("an appservice that says yes without creating the user, or says no, leaves it unknown", async () => {
    bridge.onUserQuery = () => 200;
    expectError(await alice.call("GET", `/profile/${enc("@bridge_ghost:localhost")}`), 404, "M_NOT_FOUND");
    bridge.onUserQuery = () => 404;
    expectError(await alice.call("GET", `/profile/${enc("@bridge_nobody:localhost")}`), 404, "M_NOT_FOUND");
    expect(bridge.userQueries).toEqual(expect.arrayContaining(["@bridge_ghost:localhost", "@bridge_nobody:localhost"]));
    // Outside every namespace nobody is asked.
    const asked = bridge.userQueries.length;
    expectError(await alice.call("GET", `/profile/${enc("@stranger:localhost")}`), 404, "M_NOT_FOUND");
    expect(bridge.userQueries.length).toBe(asked);
  });

  test("an appservice that is down counts as no", async () => {
    expectError(await alice.call("GET", `/profile/${enc("@down_user:localhost")}`), 404, "M_NOT_FOUND");
  });
});

describe("alias queries", () => {
  test("an unknown alias of the namespace is asked of the appservice, which creates the room", async () => {
    let created: string | undefined;
    bridge.onAliasQuery = async (alias) => {
      const res = await client("POST", "/createRoom", "as-bridge", { room_alias_name: alias.slice(1, alias.indexOf(":")), preset: "public_chat" });
      created = (res.body as { room_id?: string }).room_id;
      return res.status === 200 ? 200 : 500;
    };
    const res = await alice.call<{ room_id: string }>("GET", `/directory/room/${enc("#bridge_lobby:localhost")}`);
    expect(res.status).toBe(200);
    expect(res.body.room_id).toBe(created!);
    expect(bridge.aliasQueries).toContain("#bridge_lobby:localhost");
    // Joining by an alias asks the same way.
    const joined = await alice.call<{ room_id: string }>("POST", `/join/${enc("#bridge_hall:localhost")}`, {});
    expect(joined.status).toBe(200);
    expect(joined.body.room_id).toBe(created!);
  });

  test("an alias the appservice does not create stays unknown", async () => {
    bridge.onAliasQuery = () => 404;
    expectError(await alice.call("GET", `/directory/room/${enc("#bridge_void:localhost")}`), 404, "M_NOT_FOUND");
    const asked = bridge.aliasQueries.length;
    expectError(await alice.call("GET", `/directory/room/${enc("#elsewhere:localhost")}`), 404, "M_NOT_FOUND");
    expect(bridge.aliasQueries.length).toBe(asked);
  });
});

const ping = (id: string, token: string, body: unknown = {}) => api(server.baseUrl, "POST", `/_matrix/client/v1/appservice/${enc(id)}/ping`, { token, body });

describe("ping", () => {
  test("the appservice is called with its hs_token and the transaction id; the answer is the round trip", async () => {
    bridge.onPing = () => Response.json({});
    const res = await ping("bridge", "as-bridge", { transaction_id: "ping-1" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ duration_ms: expect.any(Number) });
    expect(bridge.pings.at(-1)).toEqual({ authorization: "Bearer hs-bridge", body: { transaction_id: "ping-1" } });
  });

  test("only the appservice itself may ping", async () => {
    expectError(await ping("bridge", alice.session.access_token), 403, "M_FORBIDDEN");
    expectError(await ping("silent", "as-bridge"), 403, "M_FORBIDDEN");
    expectError(await ping("bridge", "as-bridge", { transaction_id: 7 }), 400, "M_INVALID_PARAM");
  });

  test("failures: no URL, a bad status with its body, no connection", async () => {
    expectError(await ping("silent", "as-silent"), 400, "M_URL_NOT_SET");
    bridge.onPing = () => new Response("teapot here", { status: 418 });
    const bad = await ping("bridge", "as-bridge");
    expectError(bad, 502, "M_BAD_STATUS");
    expect(bad.body).toMatchObject({ status: 418, body: "teapot here" });
    expectError(await ping("down", "as-down"), 502, "M_CONNECTION_FAILED");
  });

  test("an appservice that does not answer in time is M_CONNECTION_TIMEOUT", async () => {
    let release: () => void = () => {};
    bridge.onPing = () => new Promise<Response>((resolve) => (release = () => resolve(Response.json({}))));
    try {
      expectError(await ping("bridge", "as-bridge"), 504, "M_CONNECTION_TIMEOUT");
    } finally {
      release();
    }
  }, 20_000);
});

test("another server asking for an unknown alias of an appservice's namespace gets the room it creates", async () => {
  const as = startTestAppservice();
  const files = mkdtempSync(join(tmpdir(), "conduit-as-fed-"));
  const registration = writeRegistration(files, { id: "fedbridge", url: as.url, users: ["@fedbridge_.*"], aliases: ["#fedbridge_.*"] });
  const pair = await startFederatedPair({ a: "anna", b: "ben" }, { a: { CONDUIT_APP_SERVICE_CONFIG_FILES: JSON.stringify([registration]) } });
  try {
    let created: string | undefined;
    as.onAliasQuery = async (alias) => {
      const localpart = alias.slice(1, alias.indexOf(":"));
      const res = await api<{ room_id?: string }>(pair.a.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: "as-fedbridge", body: { room_alias_name: localpart, preset: "public_chat" } });
      created = res.body.room_id;
      return res.status;
    };
    const alias = `#fedbridge_hall:${pair.a.serverName}`;
    // ben's server asks anna's (`/query/directory`), which asks its appservice first.
    const res = await api<{ room_id: string; servers: string[] }>(pair.b.baseUrl, "GET", `/_matrix/client/v3/directory/room/${enc(alias)}`, { token: pair.userB.access_token });
    expect(res.status).toBe(200);
    expect(res.body.room_id).toBe(created!);
    expect(res.body.servers).toContain(pair.a.serverName);
    expect(as.aliasQueries).toEqual([alias]);
  } finally {
    await pair.close();
    as.stop();
    rmSync(files, { recursive: true, force: true });
  }
}, 30_000);
