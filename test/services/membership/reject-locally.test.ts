// Rejecting an invite when the inviting server will not take the rejection: B sits behind a relay
// that answers make_leave with 403 or 500, or is gone. A rejects the invite on its own with an
// out-of-band leave: the client's answer is 200, the room moves from `invite` to `leave` in /sync,
// and nothing reaches B (Bob still sees Alice invited).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { api, registerUser, trustTestCa, type Session } from "../../helpers/client";
import { freePort, startFederatedServer, type FederatedServer, type FederationSetup } from "../../helpers/federation";
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

beforeAll(async () => {
  ca = createTestCa();
  setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  const relayPort = freePort();
  b = await startFederatedServer(setup, { namePort: relayPort });
  relay = Bun.serve({
    hostname: "127.0.0.1",
    port: relayPort,
    tls: { cert: Bun.file(setup.cert.certPath), key: Bun.file(setup.cert.keyPath) },
    async fetch(req) {
      const url = new URL(req.url);
      if (makeLeave !== "forward" && url.pathname.startsWith("/_matrix/federation/v1/make_leave/")) {
        return Response.json({ errcode: makeLeave === 403 ? "M_FORBIDDEN" : "M_UNKNOWN", error: "not today" }, { status: makeLeave });
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const res = await fetch(`${b.baseUrl}${url.pathname}${url.search}`, { method: req.method, headers, body, tls: { ca: ca.caCert } });
      return new Response(await res.arrayBuffer(), { status: res.status, headers: { "content-type": "application/json" } });
    },
  });
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
