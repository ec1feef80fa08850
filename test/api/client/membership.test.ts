// Membership over HTTP: join (id and alias), invite, leave, kick, ban, unban, knock, forget, members
// and joined_members, with the refusals the auth rules and the spec name.
import { describe, expect, test } from "bun:test";
import { api, registerUser, type Session } from "../../helpers/client";
import { serverWithUsers, createRoom, enc, roomAction, sendMessage, type ClientEvent } from "../../helpers/rooms";

const { server, alice, bob, carol } = serverWithUsers(["alice", "bob", "carol"]);

const joinVia = (who: Session, target: string) =>
  api(server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(target)}`, { token: who.access_token, body: {} });
const membershipOf = async (roomId: string, userId: string) =>
  (await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`, { token: alice.access_token })).body
    .membership;

describe("joining", () => {
  test("public rooms can be joined by id, by alias and through /rooms/{id}/join; the profile is copied", async () => {
    await api(server.baseUrl, "PUT", `/_matrix/client/v3/profile/${enc(bob.user_id)}/displayname`, { token: bob.access_token, body: { displayname: "Bobby" } });
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat", room_alias_name: "lobby" });
    const byAlias = await joinVia(bob, "#lobby:localhost");
    expect(byAlias.status).toBe(200);
    expect(byAlias.body.room_id).toBe(roomId);
    const member = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.user_id)}`, { token: alice.access_token });
    expect(member.body).toMatchObject({ membership: "join", displayname: "Bobby" });
    expect((await roomAction(server.baseUrl, carol, roomId, "join")).status).toBe(200);
    const joined = await api<{ joined: Record<string, { display_name?: string }> }>(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`, {
      token: carol.access_token,
    });
    expect(Object.keys(joined.body.joined).sort()).toEqual([alice.user_id, bob.user_id, carol.user_id].sort());
    expect(joined.body.joined[bob.user_id] as unknown).toEqual({ display_name: "Bobby", avatar_url: null });
  });

  test("a join body's keys go into the member content, a per-room name over the profile; membership stays join", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    const res = await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/join`, {
      token: carol.access_token,
      body: { reason: "hello", displayname: "Carol here", "org.example.flag": true, membership: "leave", third_party_signed: { x: 1 } },
    });
    expect(res.status).toBe(200);
    const member = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(carol.user_id)}`, { token: alice.access_token });
    expect(member.body).toEqual({ membership: "join", displayname: "Carol here", reason: "hello", "org.example.flag": true });
    const bad = await api(server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, { token: bob.access_token, body: { reason: 5 } });
    expect(bad.status).toBe(400);
    expect(await membershipOf(roomId, bob.user_id)).toBeUndefined();
  });

  test("PUT of one's own m.room.member with membership join joins like POST /join; invite-only rooms still refuse", async () => {
    const open = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    const put = (roomId: string, body: unknown) =>
      api<{ event_id: string }>(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.user_id)}`, { token: bob.access_token, body });
    const joined = await put(open, { membership: "join", displayname: "Overridden" });
    expect(joined.status).toBe(200);
    expect(joined.body.event_id).toMatch(/^\$/);
    const member = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(open)}/state/m.room.member/${enc(bob.user_id)}`, { token: alice.access_token });
    expect(member.body).toEqual({ membership: "join", displayname: "Overridden" });
    const closed = await createRoom(server.baseUrl, alice, { preset: "private_chat" });
    expect((await put(closed, { membership: "join" })).status).toBe(403);
    expect(await membershipOf(closed, bob.user_id)).toBeUndefined();
  });

  test("invite-only rooms refuse joins without an invite (403); unknown rooms and aliases are 404", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const refused = await joinVia(bob, roomId);
    expect(refused.status).toBe(403);
    expect(refused.body.errcode).toBe("M_FORBIDDEN");
    const unknown = await joinVia(bob, "!unknown:localhost");
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe("M_NOT_FOUND");
    const noAlias = await joinVia(bob, "#nothing:localhost");
    expect(noAlias.status).toBe(404);
  });
});

describe("invites, leaving, kicks and bans", () => {
  test("invite then join; double invite and invites of members are 403; unknown local users 404", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    expect((await roomAction(server.baseUrl, alice, roomId, "invite", { user_id: bob.user_id })).status).toBe(200);
    expect(await membershipOf(roomId, bob.user_id)).toBe("invite");
    expect((await joinVia(bob, roomId)).status).toBe(200);
    const again = await roomAction(server.baseUrl, alice, roomId, "invite", { user_id: bob.user_id });
    expect(again.status).toBe(403);
    const unknown = await roomAction(server.baseUrl, alice, roomId, "invite", { user_id: "@ghost:localhost" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe("M_NOT_FOUND");
    const notMember = await roomAction(server.baseUrl, carol, roomId, "invite", { user_id: carol.user_id });
    expect(notMember.status).toBe(403);
    const badBody = await roomAction(server.baseUrl, alice, roomId, "invite", {});
    expect(badBody.status).toBe(400);
  });

  test("leave, rejecting an invite, and forget (400 M_UNKNOWN while still in the room)", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { invite: [carol.user_id] });
    const early = await roomAction(server.baseUrl, carol, roomId, "forget");
    expect(early.status).toBe(400);
    expect(early.body.errcode).toBe("M_UNKNOWN");
    expect((await roomAction(server.baseUrl, carol, roomId, "leave", { reason: "no thanks" })).status).toBe(200);
    expect(await membershipOf(roomId, carol.user_id)).toBe("leave");
    const notIn = await roomAction(server.baseUrl, carol, roomId, "leave");
    expect(notIn.status).toBe(403);
    expect((await roomAction(server.baseUrl, carol, roomId, "forget")).status).toBe(200);
  });

  test("kick needs the kick level; ban keeps a user out until unbanned", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    await joinVia(bob, roomId);
    await joinVia(carol, roomId);
    const byBob = await roomAction(server.baseUrl, bob, roomId, "kick", { user_id: carol.user_id });
    expect(byBob.status).toBe(403);
    expect((await roomAction(server.baseUrl, alice, roomId, "kick", { user_id: carol.user_id, reason: "spam" })).status).toBe(200);
    const kicked = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(carol.user_id)}`, { token: alice.access_token });
    expect(kicked.body).toMatchObject({ membership: "leave", reason: "spam" });
    expect((await roomAction(server.baseUrl, alice, roomId, "ban", { user_id: carol.user_id })).status).toBe(200);
    const banned = await joinVia(carol, roomId);
    expect(banned.status).toBe(403);
    expect((await roomAction(server.baseUrl, alice, roomId, "invite", { user_id: carol.user_id })).status).toBe(403);
    expect((await roomAction(server.baseUrl, bob, roomId, "unban", { user_id: carol.user_id })).status).toBe(403);
    expect((await roomAction(server.baseUrl, alice, roomId, "unban", { user_id: carol.user_id })).status).toBe(200);
    expect((await joinVia(carol, roomId)).status).toBe(200);
  });
});

describe("knocking", () => {
  test("a knock room (v7+) takes knocks; an invite-only room refuses them; v6 has no knocking", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }] });
    const knock = await api(server.baseUrl, "POST", `/_matrix/client/v3/knock/${enc(roomId)}`, { token: bob.access_token, body: { reason: "let me in" } });
    expect(knock.status).toBe(200);
    expect(knock.body.room_id).toBe(roomId);
    expect(await membershipOf(roomId, bob.user_id)).toBe("knock");
    const invOnly = await createRoom(server.baseUrl, alice);
    const refused = await api(server.baseUrl, "POST", `/_matrix/client/v3/knock/${enc(invOnly)}`, { token: bob.access_token, body: {} });
    expect(refused.status).toBe(403);
    const v6 = await createRoom(server.baseUrl, alice, { room_version: "6", initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }] });
    expect((await api(server.baseUrl, "POST", `/_matrix/client/v3/knock/${enc(v6)}`, { token: bob.access_token, body: {} })).status).toBe(403);
    const unknown = await api(server.baseUrl, "POST", `/_matrix/client/v3/knock/${enc("!nope:localhost")}`, { token: bob.access_token, body: {} });
    expect(unknown.status).toBe(404);
  });
});

describe("members", () => {
  test("/members filters by membership and answers for a past point with `at`", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat", invite: [carol.user_id] });
    await joinVia(bob, roomId);
    await sendMessage(server.baseUrl, bob, roomId, "hi");
    // The point just before bob's message: after his join.
    const before = (await api<{ end: string }>(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1`, { token: alice.access_token })).body;
    await roomAction(server.baseUrl, bob, roomId, "leave");
    const path = `/_matrix/client/v3/rooms/${enc(roomId)}/members`;
    const all = await api<{ chunk: ClientEvent[] }>(server.baseUrl, "GET", path, { token: alice.access_token });
    expect(all.body.chunk.map((e) => e.state_key).sort()).toEqual([alice.user_id, bob.user_id, carol.user_id].sort());
    const joined = await api<{ chunk: ClientEvent[] }>(server.baseUrl, "GET", `${path}?membership=join`, { token: alice.access_token });
    expect(joined.body.chunk.map((e) => e.state_key)).toEqual([alice.user_id]);
    const notLeave = await api<{ chunk: ClientEvent[] }>(server.baseUrl, "GET", `${path}?not_membership=leave`, { token: alice.access_token });
    expect(notLeave.body.chunk.map((e) => e.state_key).sort()).toEqual([alice.user_id, carol.user_id].sort());
    // `at` the point before bob's message: bob was still joined.
    const then = await api<{ chunk: ClientEvent[] }>(server.baseUrl, "GET", `${path}?membership=join&at=${enc(before.end)}`, { token: alice.access_token });
    expect(then.body.chunk.map((e) => e.state_key).sort()).toEqual([alice.user_id, bob.user_id].sort());
    const outsider = await api(server.baseUrl, "GET", path, { token: (await registerUser(server.baseUrl, "dave")).access_token });
    expect(outsider.status).toBe(403);
  });
});
