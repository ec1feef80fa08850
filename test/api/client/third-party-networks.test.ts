// Third-party networks over real HTTP (spec "Third-party networks", "Application service room
// directories"): protocol metadata, user and location lookups asked of the appservices that
// bridge the protocol with their hs_token, and the room lists appservices publish per network,
// which public room lists (ours and, over federation, another server's request) keep apart from
// the main list unless asked for them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enc } from "../../helpers/as-user";
import { appserviceFilesToml, startTestAppservice, writeRegistration, type TestAppservice } from "../../helpers/appservice";
import { api, expectError, registerUser, trustTestCa } from "../../helpers/client";
import { startFederatedServer, startInProcessServer } from "../../helpers/federation";
import { startServer, type TestServer } from "../../helpers/server";
import { createTestCa } from "../../helpers/tls";
import { addUser, type TestUser } from "../../helpers/users";

const dir = mkdtempSync(join(tmpdir(), "conduit-third-party-"));
let server: TestServer;
let alice: TestUser;
/** Bridges irc and gitter; listed first, so its irc fields are the ones clients see. */
let ircBridge: TestAppservice;
/** Bridges irc too, and slack, whose metadata it never answers well. */
let slackBridge: TestAppservice;

/** What a bridge answers, by the path after `/_matrix/app/v1/thirdparty/`: JSON, or an error status (404 elsewhere). */
function answering(as: TestAppservice, answers: Record<string, unknown>): void {
  as.onThirdParty = (path) => {
    const answer = answers[path] ?? 404;
    return typeof answer === "number" ? new Response("no answer here", { status: answer }) : Response.json(answer);
  };
}

const IRC_FIELDS = { user_fields: ["network", "nickname"], location_fields: ["network", "channel"], icon: "mxc://example.org/irc", field_types: {} };
const GITTER = { user_fields: ["username"], location_fields: ["room"], icon: "mxc://example.org/gitter", field_types: {}, instances: [] };

beforeAll(async () => {
  ircBridge = startTestAppservice();
  slackBridge = startTestAppservice();
  const closed = startTestAppservice();
  closed.stop();
  answering(ircBridge, {
    "protocol/irc": { ...IRC_FIELDS, instances: [{ desc: "Libera", network_id: "libera", fields: { network: "libera.chat" } }, { desc: "Unnamed", fields: {} }] },
    "protocol/gitter": GITTER,
    "user/irc": [
      { protocol: "irc", fields: { nickname: "bob" }, userid: "@irc_bob:localhost" },
      { protocol: "irc", userid: "@irc_nofields:localhost" },
    ],
    "location/irc": [{ protocol: "irc", fields: { channel: "#chat" }, alias: "#irc_chat:localhost" }, "not an entry"],
    location: [{ protocol: "irc", fields: { channel: "#chat" }, alias: "#irc_chat:localhost" }],
    user: [{ protocol: "irc", fields: { nickname: "bob" }, userid: "@irc_bob:localhost" }],
  });
  answering(slackBridge, {
    "protocol/irc": { user_fields: ["other"], location_fields: [], icon: "mxc://example.org/other", field_types: {}, instances: [{ desc: "OFTC", network_id: "oftc", fields: {} }] },
    "protocol/slack": 500,
    "user/irc": [{ protocol: "irc", fields: { nickname: "bob" }, userid: "@slack_bob:localhost" }],
    "location/irc": { not: "a list" },
    location: [{ protocol: "slack", fields: { channel: "general" }, alias: "#irc_chat:localhost" }],
  });
  const files = [
    writeRegistration(dir, { id: "ircbridge", url: ircBridge.url, users: ["@irc_.*"], protocols: ["irc", "gitter"] }),
    writeRegistration(dir, { id: "slackbridge", url: slackBridge.url, users: ["@slack_.*"], protocols: ["irc", "slack"] }),
    writeRegistration(dir, { id: "down", url: closed.url, users: ["@down_.*"], protocols: ["irc"] }),
    writeRegistration(dir, { id: "urlless", url: null, users: ["@urlless_.*"], protocols: ["xmpp"] }),
    writeRegistration(dir, { id: "nobridge", users: ["@nobridge_.*"] }),
  ];
  server = await startServer({ toml: appserviceFilesToml(files) });
  alice = await addUser(server, "alice");
});
afterAll(async () => {
  await server?.stop();
  ircBridge?.stop();
  slackBridge?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const MERGED_IRC = {
  ...IRC_FIELDS,
  instances: [
    { desc: "Libera", network_id: "libera", fields: { network: "libera.chat" }, instance_id: "ircbridge|libera" },
    { desc: "Unnamed", fields: {} },
    { desc: "OFTC", network_id: "oftc", fields: {}, instance_id: "slackbridge|oftc" },
  ],
};

/** How many metadata requests for `protocol` each bridge got so far. */
const metadataAsks = (protocol: string) => [ircBridge, slackBridge].map((as) => as.thirdPartyRequests.filter((r) => r.path === `protocol/${protocol}`).length);

describe("protocols", () => {
  test("/protocols merges each protocol of the bridges: the first one's fields, every instance, instance ids for networks", async () => {
    const res = await alice.call("GET", "/thirdparty/protocols");
    expect(res.status).toBe(200);
    // slack never answered well, xmpp's appservice has no URL: neither is listed.
    expect(res.body).toEqual({ irc: MERGED_IRC, gitter: GITTER });
    for (const [as, token] of [[ircBridge, "Bearer hs-ircbridge"], [slackBridge, "Bearer hs-slackbridge"]] as const) {
      expect(as.thirdPartyRequests.every((r) => r.authorization === token)).toBe(true);
    }
  });

  test("answers are cached: a second listing asks again only for what was not answered well", async () => {
    await alice.call("GET", "/thirdparty/protocols");
    const [ircBefore, slackBefore] = [metadataAsks("irc"), metadataAsks("slack")];
    const again = await alice.call("GET", "/thirdparty/protocols");
    expect(again.body).toEqual({ irc: MERGED_IRC, gitter: GITTER });
    expect(metadataAsks("irc")).toEqual(ircBefore);
    expect(metadataAsks("slack")).toEqual([slackBefore[0]!, slackBefore[1]! + 1]);
  });

  test("one protocol is the same merge; a protocol nobody answers for is 404", async () => {
    const irc = await alice.call("GET", "/thirdparty/protocol/irc");
    expect(irc.status).toBe(200);
    expect(irc.body).toEqual(MERGED_IRC);
    expect((await alice.call("GET", "/thirdparty/protocol/gitter")).body).toEqual(GITTER);
    for (const protocol of ["slack", "xmpp", "unheard-of"]) expectError(await alice.call("GET", `/thirdparty/protocol/${protocol}`), 404, "M_NOT_FOUND");
  });

  test("they need an access token", async () => {
    expectError(await api(server.baseUrl, "GET", "/_matrix/client/v3/thirdparty/protocols"), 401, "M_MISSING_TOKEN");
    expectError(await api(server.baseUrl, "GET", "/_matrix/client/v3/thirdparty/user/irc"), 401, "M_MISSING_TOKEN");
  });
});

describe("lookups", () => {
  test("a user lookup passes the fields on to every bridge of the protocol and joins their valid answers", async () => {
    const before = ircBridge.thirdPartyRequests.length;
    // The token in the query is the client's, not a search field.
    const res = await api<unknown[]>(server.baseUrl, "GET", `/_matrix/client/v3/thirdparty/user/irc?nickname=bob&network=libera&access_token=${alice.session.access_token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { protocol: "irc", fields: { nickname: "bob" }, userid: "@irc_bob:localhost" },
      { protocol: "irc", fields: { nickname: "bob" }, userid: "@slack_bob:localhost" },
    ]);
    expect(ircBridge.thirdPartyRequests.slice(before)).toEqual([{ path: "user/irc", query: { nickname: "bob", network: "libera" }, authorization: "Bearer hs-ircbridge" }]);
  });

  test("a location lookup drops what is not a location; an unbridged protocol is 404", async () => {
    const res = await alice.call<unknown[]>("GET", `/thirdparty/location/irc?channel=${enc("#chat")}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ protocol: "irc", fields: { channel: "#chat" }, alias: "#irc_chat:localhost" }]);
    expect(slackBridge.thirdPartyRequests.at(-1)).toEqual({ path: "location/irc", query: { channel: "#chat" }, authorization: "Bearer hs-slackbridge" });
    expectError(await alice.call("GET", "/thirdparty/location/xmpp"), 404, "M_NOT_FOUND");
    expectError(await alice.call("GET", "/thirdparty/user/unheard-of"), 404, "M_NOT_FOUND");
  });

  test("reverse lookups by alias or user id ask every bridge", async () => {
    const alias = "#irc_chat:localhost";
    const locations = await alice.call<unknown[]>("GET", `/thirdparty/location?alias=${enc(alias)}`);
    expect(locations.status).toBe(200);
    expect(locations.body).toEqual([
      { protocol: "irc", fields: { channel: "#chat" }, alias },
      { protocol: "slack", fields: { channel: "general" }, alias },
    ]);
    expect(ircBridge.thirdPartyRequests.at(-1)).toEqual({ path: "location", query: { alias }, authorization: "Bearer hs-ircbridge" });
    const users = await alice.call<unknown[]>("GET", `/thirdparty/user?userid=${enc("@irc_bob:localhost")}`);
    expect(users.body).toEqual([{ protocol: "irc", fields: { nickname: "bob" }, userid: "@irc_bob:localhost" }]);
    expect(slackBridge.thirdPartyRequests.at(-1)).toEqual({ path: "user", query: { userid: "@irc_bob:localhost" }, authorization: "Bearer hs-slackbridge" });
    expect((await alice.call("GET", "/thirdparty/location")).status).toBe(400);
  });
});

const listedIn = async (body: Record<string, unknown>, roomId: string) => {
  const res = await alice.call<{ chunk: { room_id: string }[] }>("POST", "/publicRooms", body);
  expect(res.status).toBe(200);
  return res.body.chunk.some((r) => r.room_id === roomId);
};
const appserviceList = (networkId: string, roomId: string) => `/_matrix/client/v3/directory/list/appservice/${enc(networkId)}/${enc(roomId)}`;

describe("appservice room lists", () => {
  test("an appservice publishes a room in its network's list, apart from the main list", async () => {
    const roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat", name: "Bridged" })).body.room_id;
    const put = await api(server.baseUrl, "PUT", appserviceList("libera", roomId), { token: "as-ircbridge", body: { visibility: "public" } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({});
    expect(await listedIn({}, roomId)).toBe(false);
    expect((await alice.call<{ chunk: { room_id: string }[] }>("GET", "/publicRooms")).body.chunk.map((r) => r.room_id)).not.toContain(roomId);
    expect(await listedIn({ third_party_instance_id: "ircbridge|libera" }, roomId)).toBe(true);
    expect(await listedIn({ third_party_instance_id: "ircbridge|oftc" }, roomId)).toBe(false);
    expect(await listedIn({ third_party_instance_id: "slackbridge|libera" }, roomId)).toBe(false);
    expect(await listedIn({ include_all_networks: true }, roomId)).toBe(true);
    // Unpublished by DELETE (Synapse's form) or by "private".
    expect((await api(server.baseUrl, "DELETE", appserviceList("libera", roomId), { token: "as-ircbridge" })).status).toBe(200);
    expect(await listedIn({ third_party_instance_id: "ircbridge|libera" }, roomId)).toBe(false);
    await api(server.baseUrl, "PUT", appserviceList("libera", roomId), { token: "as-ircbridge", body: { visibility: "public" } });
    await api(server.baseUrl, "PUT", appserviceList("libera", roomId), { token: "as-ircbridge", body: { visibility: "private" } });
    expect(await listedIn({ include_all_networks: true }, roomId)).toBe(false);
  });

  test("a room in both lists stays in the main list when the appservice drops it", async () => {
    const roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
    await api(server.baseUrl, "PUT", appserviceList("oftc", roomId), { token: "as-slackbridge", body: { visibility: "public" } });
    expect((await alice.call("PUT", `/directory/list/room/${enc(roomId)}`, { visibility: "public" })).status).toBe(200);
    expect(await listedIn({}, roomId)).toBe(true);
    expect(await listedIn({ third_party_instance_id: "slackbridge|oftc" }, roomId)).toBe(true);
    // Listed once, though it is in two lists.
    const all = await alice.call<{ chunk: { room_id: string }[] }>("POST", "/publicRooms", { include_all_networks: true });
    expect(all.body.chunk.filter((r) => r.room_id === roomId)).toHaveLength(1);
    await api(server.baseUrl, "DELETE", appserviceList("oftc", roomId), { token: "as-slackbridge" });
    expect(await listedIn({ third_party_instance_id: "slackbridge|oftc" }, roomId)).toBe(false);
    expect(await listedIn({}, roomId)).toBe(true);
    expect(await listedIn({ include_all_networks: true }, roomId)).toBe(true);
  });

  test("only an appservice may edit its list; unknown rooms and instance ids are refused", async () => {
    const roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
    expectError(await api(server.baseUrl, "PUT", appserviceList("libera", roomId), { token: alice.session.access_token, body: { visibility: "public" } }), 403, "M_FORBIDDEN");
    expectError(await api(server.baseUrl, "DELETE", appserviceList("libera", roomId), { token: alice.session.access_token }), 403, "M_FORBIDDEN");
    expectError(await api(server.baseUrl, "PUT", appserviceList("libera", "!nowhere:localhost"), { token: "as-ircbridge", body: { visibility: "public" } }), 404, "M_NOT_FOUND");
    expect((await api(server.baseUrl, "PUT", appserviceList("libera", roomId), { token: "as-ircbridge", body: {} })).status).toBe(400);
    for (const id of ["no-separator", "unknownbridge|libera"]) {
      expectError(await alice.call("POST", "/publicRooms", { third_party_instance_id: id }), 400, "M_INVALID_PARAM");
    }
  });
});

test("another server's public rooms request honours the same network choices", async () => {
  const ca = createTestCa();
  const setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  const files = mkdtempSync(join(tmpdir(), "conduit-third-party-fed-"));
  const registration = writeRegistration(files, { id: "fedbridge", users: ["@fedbridge_.*"] });
  const [a, c] = await Promise.all([startFederatedServer(setup, { env: { CONDUIT_APP_SERVICE_CONFIG_FILES: JSON.stringify([registration]) } }), startInProcessServer(setup)]);
  try {
    const owner = await registerUser(a.baseUrl, "owner");
    const created = await api<{ room_id: string }>(a.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: owner.access_token, body: { preset: "public_chat" } });
    const roomId = created.body.room_id;
    expect((await api(a.baseUrl, "PUT", appserviceList("net", roomId), { token: "as-fedbridge", body: { visibility: "public" } })).status).toBe(200);
    const ask = (method: "GET" | "POST", query: Record<string, string | boolean>) =>
      c.services.federation.client.request<{ chunk: { room_id: string }[] }>(a.serverName, {
        method,
        path: `/_matrix/federation/v1/publicRooms${method === "GET" ? `?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}` : ""}`,
        ...(method === "POST" ? { body: query } : {}),
      });
    const rooms = async (method: "GET" | "POST", query: Record<string, string | boolean>) => (await ask(method, query)).chunk.map((r) => r.room_id);
    for (const method of ["GET", "POST"] as const) {
      expect(await rooms(method, {})).not.toContain(roomId);
      expect(await rooms(method, { third_party_instance_id: "fedbridge|net" })).toEqual([roomId]);
      expect(await rooms(method, { include_all_networks: true })).toContain(roomId);
      await expect(ask(method, { third_party_instance_id: "nobody|net" })).rejects.toMatchObject({ status: 400 });
    }
  } finally {
    await c.close();
    await a.stop();
    ca.remove();
    rmSync(files, { recursive: true, force: true });
  }
}, 30_000);
