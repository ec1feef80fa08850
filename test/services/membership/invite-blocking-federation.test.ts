// Invites over federation and the invitee's wishes: MSC4380's block refuses an invite from another
// server with M_INVITE_BLOCKED (which reaches the inviter), and `allow_invites_from_unshared_servers
// = false` refuses invites from servers that share no room with ours.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { api, expectError, registerUser } from "../../helpers/client";
import { startFederatedPair, type FederatedPair } from "../../helpers/federation";
import { createRoom, joinRoom, until } from "../../helpers/federated-rooms";

let pair: FederatedPair;
beforeAll(async () => {
  // B takes invites only from servers it shares a room with.
  pair = await startFederatedPair({ a: "alice", b: "bob" }, { b: { CONDUIT_ALLOW_INVITES_FROM_UNSHARED_SERVERS: "false" } });
});
afterAll(() => pair?.close());

const invite = (roomId: string, userId: string) =>
  api(pair.a.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, { token: pair.userA.access_token, body: { user_id: userId } });

test("an invite from a server that shares no room is refused; once a room is shared it arrives", async () => {
  const carol = await registerUser(pair.b.baseUrl, "carol");
  const roomId = await createRoom(pair.a, pair.userA, { preset: "private_chat" });
  expectError(await invite(roomId, carol.user_id), 403, "M_FORBIDDEN");
  // Alice joins a public room on B: the servers now share a room.
  const shared = await createRoom(pair.b, pair.userB, { preset: "public_chat" });
  await joinRoom(pair.a, pair.userA, shared, pair.b.serverName);
  expect((await invite(roomId, carol.user_id)).status).toBe(200);
  await until("the invite on B", async () => {
    const sync = await api<{ rooms?: { invite?: Record<string, unknown> } }>(pair.b.baseUrl, "GET", "/_matrix/client/v3/sync", { token: carol.access_token });
    return sync.body.rooms?.invite?.[roomId] ? true : undefined;
  });
});

test("a user of B who blocks invites refuses A's invite with M_INVITE_BLOCKED", async () => {
  const dave = await registerUser(pair.b.baseUrl, "dave");
  const shared = await createRoom(pair.b, dave, { preset: "public_chat" });
  await joinRoom(pair.a, pair.userA, shared, pair.b.serverName);
  await api(pair.b.baseUrl, "PUT", `/_matrix/client/v3/user/${encodeURIComponent(dave.user_id)}/account_data/m.invite_permission_config`, {
    token: dave.access_token,
    body: { block_all: true },
  });
  const roomId = await createRoom(pair.a, pair.userA, { preset: "private_chat" });
  expectError(await invite(roomId, dave.user_id), 403, "M_INVITE_BLOCKED");
});
