// When the resident server refuses: B sits behind a relay that can answer make_join and make_leave
// with an error, or be gone. A join's refusal reaches the client as B gave it (status, errcode,
// fields), never as a 401. An invite whose rejection B will not take is rejected by A on its own
// with an out-of-band leave: the client's answer is 200, the room moves from `invite` to `leave`
// in /sync, and nothing reaches B (Bob still sees Alice invited).
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
/** How the relay answers make_leave: passed on to B, or refused with this status. */
let makeLeave: "forward" | 403 | 500 = "forward";
/** An answer the relay gives to make_join instead of B's. */
let makeJoin: { status: number; body: Record<string, unknown> } | undefined;

beforeAll(async () => {
  ca = createTestCa();
  setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  ({ server: b, relay } = await startRelayedServer(setup, (url) => {
    if (makeJoin && url.pathname.startsWith("/_matrix/federation/v1/make_join/")) return Response.json(makeJoin.body, { status: makeJoin.status });
    if (makeLeave !== "forward" && url.pathname.startsWith("/_matrix/federation/v1/make_leave/")) {
      return Response.json({ errcode: makeLeave === 403 ? "M_FORBIDDEN" : "M_UNKNOWN", error: "not today" }, { status: makeLeave });
    }
    return undefined;
  }));
  a = await startFederatedServer(setup);
  [alice, bob] = await Promise.all([registerUser(a.baseUrl, "alice"), registerUser(b.baseUrl, "bob")]);
});
afterAll(async () => {
  relay?.stop(true);
  await Promise.all([a?.stop(), b?.stop()]);
  ca?.remove();
});

interface SyncRooms {
  next_batch: string;
  rooms?: { invite?: Record<string, unknown>; leave?: Record<string, { timeline: { events: { type: string; state_key?: string; content: { membership?: string; reason?: string } }[] } }> };
}
const sync = (since?: string) =>
  api<SyncRooms>(a.baseUrl, "GET", `/_matrix/client/v3/sync${since ? `?since=${since}&timeout=0` : ""}`, { token: alice.access_token });

/** A room of Bob's on B with Alice invited, once A shows the invite; returns it and A's sync token. */
async function invitedRoom(version = "11"): Promise<{ roomId: string; since: string }> {
  const roomId = await createRoom(b, bob, { preset: "private_chat", invite: [alice.user_id], room_version: version });
  const since = await until("the invite on A", async () => {
    const res = await sync();
    return res.body.rooms?.invite?.[roomId] ? res.body.next_batch : undefined;
  });
  return { roomId, since };
}

async function expectRejectedOnAOnly(roomId: string, since: string): Promise<void> {
  const leave = await api(a.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, { token: alice.access_token, body: { reason: "no" } });
  expect(leave.status).toBe(200);
  const after = (await sync(since)).body;
  expect(after.rooms?.invite?.[roomId]).toBeUndefined();
  const events = after.rooms?.leave?.[roomId]?.timeline.events ?? [];
  expect(events.filter((e) => e.type === "m.room.member" && e.state_key === alice.user_id).map((e) => e.content)).toEqual([{ membership: "leave", reason: "no" }]);
  // A fresh sync no longer lists the invite either.
  expect((await sync()).body.rooms?.invite?.[roomId]).toBeUndefined();
  expect(await membershipOn(b, bob, roomId, alice.user_id)).toBe("invite");
}

test("a resident's refusal of a join reaches the client as given; a 401 of the resident does not", async () => {
  const roomId = await createRoom(b, bob, { preset: "public_chat" });
  const join = () => api(a.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${b.serverName}`, { token: alice.access_token, body: {} });
  makeJoin = { status: 400, body: { errcode: "M_INCOMPATIBLE_ROOM_VERSION", error: "no such version", room_version: "future-1" } };
  const refused = await join();
  expect([refused.status, refused.body.errcode, refused.body.room_version]).toEqual([400, "M_INCOMPATIBLE_ROOM_VERSION", "future-1"]);
  makeJoin = { status: 401, body: { errcode: "M_UNAUTHORIZED", error: "who are you" } };
  const unauthorised = await join();
  expect(unauthorised.status).toBe(502);
  makeJoin = undefined;
  expect((await join()).status).toBe(200);
});

test("the inviting server refuses the rejection (403): the invite is rejected on A alone", async () => {
  const { roomId, since } = await invitedRoom();
  makeLeave = 403;
  await expectRejectedOnAOnly(roomId, since);
});

test("the inviting server fails (500), in a room of version 1: rejected on A alone", async () => {
  makeLeave = "forward";
  const { roomId, since } = await invitedRoom("1");
  makeLeave = 500;
  await expectRejectedOnAOnly(roomId, since);
});

test("the inviting server is gone: rejected on A alone", async () => {
  makeLeave = "forward";
  const { roomId, since } = await invitedRoom();
  relay.stop(true);
  await expectRejectedOnAOnly(roomId, since);
});
