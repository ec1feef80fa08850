// Servers that predate the v2 membership APIs: B sits behind a relay that answers 404 to every
// /v2/send_join, /v2/send_leave and /v2/invite, as an older server does. A falls back to the v1
// forms, B serves them (answers wrapped as [200, body]), and joins, invites and rejections work;
// an invite to a room of version 3 or later, which v1 cannot carry, is refused with a clear error.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { api, registerUser, trustTestCa, type Session } from "../../helpers/client";
import { startFederatedServer, startRelayedServer, type FederatedServer, type FederationSetup } from "../../helpers/federation";
import { createRoom, membershipOn, until } from "../../helpers/federated-rooms";
import { createTestCa, type TestCa } from "../../helpers/tls";

let ca: TestCa;
let setup: FederationSetup;
let a: FederatedServer;
let b: FederatedServer;
let relay: ReturnType<typeof Bun.serve>;
let alice: Session;
let bob: Session;
/** Paths B's relay saw, with the status it answered. */
const seen: string[] = [];

beforeAll(async () => {
  ca = createTestCa();
  setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  ({ server: b, relay } = await startRelayedServer(setup, (url) => {
    if (!/^\/_matrix\/federation\/v2\/(send_join|send_leave|invite)\//.test(url.pathname)) return undefined;
    seen.push(`404 ${url.pathname}`);
    return Response.json({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }, { status: 404 });
  }, (url, status) => seen.push(`${status} ${url.pathname}`)));
  a = await startFederatedServer(setup);
  [alice, bob] = await Promise.all([registerUser(a.baseUrl, "alice"), registerUser(b.baseUrl, "bob")]);
});
afterAll(async () => {
  relay?.stop(true);
  await Promise.all([a?.stop(), b?.stop()]);
  ca?.remove();
});

const sawV1 = (endpoint: string) => seen.some((s) => s.startsWith(`200 /_matrix/federation/v1/${endpoint}/`));
const sawV2Refused = (endpoint: string) => seen.some((s) => s.startsWith(`404 /_matrix/federation/v2/${endpoint}/`));

test("a join through a server without v2 send_join goes through v1 send_join", async () => {
  const roomId = await createRoom(b, bob, { preset: "public_chat" });
  const join = await api(a.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${b.serverName}`, {
    token: alice.access_token,
    body: {},
  });
  expect(join.status).toBe(200);
  expect(sawV2Refused("send_join") && sawV1("send_join")).toBe(true);
  expect(await until("the join on B", async () => ((await membershipOn(b, bob, roomId, alice.user_id)) === "join" ? true : undefined))).toBe(true);
});

test("an invite to a room of version 2 goes through v1 invite, which B reads as the room's event", async () => {
  const roomId = await createRoom(a, alice, { preset: "private_chat", room_version: "2" });
  const invite = await api(a.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, {
    token: alice.access_token,
    body: { user_id: bob.user_id },
  });
  expect(invite.status).toBe(200);
  expect(sawV2Refused("invite") && sawV1("invite")).toBe(true);
  expect(await membershipOn(a, alice, roomId, bob.user_id)).toBe("invite");
  // B kept the invite for Bob, who can accept it.
  const join = await api(b.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, { token: bob.access_token, body: {} });
  expect(join.status).toBe(200);
  expect(await until("Bob's join on A", async () => ((await membershipOn(a, alice, roomId, bob.user_id)) === "join" ? true : undefined))).toBe(true);
});

test("an invite to a room of version 3 or later cannot fall back, and says why", async () => {
  const roomId = await createRoom(a, alice, { preset: "private_chat", room_version: "11" });
  const invite = await api(a.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, {
    token: alice.access_token,
    body: { user_id: bob.user_id },
  });
  expect({ status: invite.status, errcode: invite.body.errcode }).toEqual({ status: 400, errcode: "M_UNSUPPORTED_ROOM_VERSION" });
  expect(await membershipOn(a, alice, roomId, bob.user_id)).toBeUndefined();
});

test("rejecting an invite to a room on a server without v2 send_leave goes through v1 send_leave", async () => {
  const roomId = await createRoom(b, bob, { preset: "private_chat", invite: [alice.user_id] });
  await until("the invite on A", async () => {
    const sync = await api<{ rooms?: { invite?: Record<string, unknown> } }>(a.baseUrl, "GET", "/_matrix/client/v3/sync", { token: alice.access_token });
    return sync.body.rooms?.invite?.[roomId] ? true : undefined;
  });
  const leave = await api(a.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, { token: alice.access_token, body: {} });
  expect(leave.status).toBe(200);
  expect(sawV2Refused("send_leave") && sawV1("send_leave")).toBe(true);
  expect(await until("the rejection on B", async () => ((await membershipOn(b, bob, roomId, alice.user_id)) === "leave" ? true : undefined))).toBe(true);
});
