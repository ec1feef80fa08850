// What accounts changes do to rooms, over HTTP: a new displayname or avatar is announced in every
// joined room; a deactivated account leaves its rooms; message sends are rate limited.
import { expect, test } from "bun:test";
import { api, passwordAuth, registerUser } from "../../helpers/client";
import { serverWithUsers, createRoom, enc, joinRoom } from "../../helpers/rooms";

const { server, alice, bob } = serverWithUsers(["alice", "bob"], { rateLimits: { message: { per_second: 0.1, burst: 3 } } });

const memberOf = async (roomId: string, userId: string) =>
  (await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`, { token: alice.access_token })).body;

const memberEventId = async (roomId: string, userId: string) =>
  (await api<{ event_id: string }>(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}?format=event`, { token: alice.access_token })).body.event_id;

test("a displayname or avatar change updates the member event in every joined room", async () => {
  const rooms = [await createRoom(server.baseUrl, alice, { preset: "public_chat" }), await createRoom(server.baseUrl, alice, { preset: "public_chat" })];
  for (const r of rooms) await joinRoom(server.baseUrl, bob, r);
  const res = await api(server.baseUrl, "PUT", `/_matrix/client/v3/profile/${enc(bob.user_id)}/displayname`, { token: bob.access_token, body: { displayname: "Robert" } });
  expect(res.status).toBe(200);
  await api(server.baseUrl, "PUT", `/_matrix/client/v3/profile/${enc(bob.user_id)}/avatar_url`, { token: bob.access_token, body: { avatar_url: "mxc://localhost/bob" } });
  for (const r of rooms) expect(await memberOf(r, bob.user_id)).toEqual({ membership: "join", displayname: "Robert", avatar_url: "mxc://localhost/bob" });
  // Setting the same displayname again changes nothing, so no room gets a repeated member event.
  const before = await Promise.all(rooms.map((r) => memberEventId(r, bob.user_id)));
  await api(server.baseUrl, "PUT", `/_matrix/client/v3/profile/${enc(bob.user_id)}/displayname`, { token: bob.access_token, body: { displayname: "Robert" } });
  expect(await Promise.all(rooms.map((r) => memberEventId(r, bob.user_id)))).toEqual(before);
});

test("deactivation leaves joined rooms and rejects invites", async () => {
  const leaver = await registerUser(server.baseUrl, "leaver");
  const joined = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
  await joinRoom(server.baseUrl, leaver, joined);
  const invited = await createRoom(server.baseUrl, alice, { invite: [leaver.user_id] });
  const path = "/_matrix/client/v3/account/deactivate";
  const first = await api<{ session: string }>(server.baseUrl, "POST", path, { token: leaver.access_token, body: {} });
  const res = await api(server.baseUrl, "POST", path, { token: leaver.access_token, body: { auth: passwordAuth(leaver.user_id, first.body.session) } });
  expect(res.status).toBe(200);
  expect((await memberOf(joined, leaver.user_id)).membership).toBe("leave");
  expect((await memberOf(invited, leaver.user_id)).membership).toBe("leave");
});

test("message sends past the configured burst are 429 M_LIMIT_EXCEEDED with a retry delay", async () => {
  const roomId = await createRoom(server.baseUrl, alice);
  const statuses: number[] = [];
  let limited: Record<string, unknown> | undefined;
  for (let i = 0; i < 5; i++) {
    const res = await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/rl${i}`, { token: alice.access_token, body: { body: "x" } });
    statuses.push(res.status);
    if (res.status === 429) limited = res.body;
  }
  expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
  expect(statuses.slice(3)).toEqual([429, 429]);
  expect(limited).toMatchObject({ errcode: "M_LIMIT_EXCEEDED" });
  expect(limited?.retry_after_ms).toBeGreaterThan(0);
});
