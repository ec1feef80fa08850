// Guests and rooms of other servers (spec "Guest access"): a guest of A may join a room on B only
// through an invite whose stripped state says guests can join; without that it is refused.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { api, type Session } from "../../helpers/client";
import { startFederatedPair, type FederatedPair, type FederatedServer } from "../../helpers/federation";
import { createRoom, membershipOn, setState, until } from "../../helpers/federated-rooms";

let pair: FederatedPair;
let a: FederatedServer;
let b: FederatedServer;
let bob: Session;

beforeAll(async () => {
  pair = await startFederatedPair({ a: "alice", b: "bob" }, { a: { CONDUIT_ALLOW_GUEST_REGISTRATION: "true" } });
  ({ a, b, userB: bob } = pair);
});
afterAll(() => pair?.close());

async function guestOfA(): Promise<Session> {
  const res = await api<Session>(a.baseUrl, "POST", "/_matrix/client/v3/register?kind=guest", { body: {} });
  expect(res.status).toBe(200);
  return res.body;
}

/** A private room on B with the given guest access, and `guest` invited to it (the invite has reached A). */
async function invitedRoom(guest: Session, guestAccess: string): Promise<string> {
  const roomId = await createRoom(b, bob, { preset: "private_chat" });
  await setState(b, bob, roomId, "m.room.guest_access", { guest_access: guestAccess });
  const invite = await api(b.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, {
    token: bob.access_token,
    body: { user_id: guest.user_id },
  });
  expect(invite.status).toBe(200);
  await until("the invite on A", async () => {
    const sync = await api<{ rooms?: { invite?: Record<string, unknown> } }>(a.baseUrl, "GET", "/_matrix/client/v3/sync", { token: guest.access_token });
    return sync.body.rooms?.invite?.[roomId] ? true : undefined;
  });
  return roomId;
}

const join = (guest: Session, roomId: string) =>
  api(a.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${b.serverName}`, { token: guest.access_token, body: {} });

test("a guest invited to a room whose guest access is can_join joins it", async () => {
  const guest = await guestOfA();
  const roomId = await invitedRoom(guest, "can_join");
  expect((await join(guest, roomId)).status).toBe(200);
  expect(await membershipOn(b, bob, roomId, guest.user_id)).toBe("join");
});

test("a guest invited to a room that forbids guests is refused, and nothing is sent", async () => {
  const guest = await guestOfA();
  const roomId = await invitedRoom(guest, "forbidden");
  const res = await join(guest, roomId);
  expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status: 403, errcode: "M_GUEST_ACCESS_FORBIDDEN" });
  expect(await membershipOn(b, bob, roomId, guest.user_id)).toBe("invite");
});

test("a guest cannot join another server's public room it was not invited to", async () => {
  const guest = await guestOfA();
  const roomId = await createRoom(b, bob, { preset: "public_chat" });
  await setState(b, bob, roomId, "m.room.guest_access", { guest_access: "can_join" });
  const res = await join(guest, roomId);
  expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status: 403, errcode: "M_GUEST_ACCESS_FORBIDDEN" });
});
