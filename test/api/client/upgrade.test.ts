// POST /rooms/{roomId}/upgrade over HTTP: tombstone, predecessor, transferred state, moved aliases
// and publication, restricted old power levels, and the refusals.
import { expect, test } from "bun:test";
import { api } from "../../helpers/client";
import { serverWithUsers, createRoom, enc, joinRoom, sendMessage } from "../../helpers/rooms";

const { server, alice, bob } = serverWithUsers(["alice", "bob"]);

const stateOf = async (roomId: string, type: string, stateKey = "") =>
  (await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, { token: alice.access_token })).body;

test("upgrading v10 -> v12 replaces the room and carries its state, aliases and publication", async () => {
  const old = await createRoom(server.baseUrl, alice, {
    room_version: "10",
    preset: "public_chat",
    visibility: "public",
    name: "Old name",
    topic: "Old topic",
    room_alias_name: "upgradable",
    creation_content: { type: "org.example.kind" },
  });
  await joinRoom(server.baseUrl, bob, old);
  const refused = await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(old)}/upgrade`, { token: bob.access_token, body: { new_version: "12" } });
  expect(refused.status).toBe(403);
  const bad = await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(old)}/upgrade`, { token: alice.access_token, body: { new_version: "99" } });
  expect(bad.status).toBe(400);
  expect(bad.body.errcode).toBe("M_UNSUPPORTED_ROOM_VERSION");

  const res = await api<{ replacement_room: string }>(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(old)}/upgrade`, {
    token: alice.access_token,
    body: { new_version: "12" },
  });
  expect(res.status).toBe(200);
  const fresh = res.body.replacement_room;
  expect(fresh).toMatch(/^![A-Za-z0-9_-]{43}$/);

  const tombstone = await stateOf(old, "m.room.tombstone");
  expect(tombstone.replacement_room).toBe(fresh);
  const create = await stateOf(fresh, "m.room.create");
  expect(create).toMatchObject({ room_version: "12", predecessor: { room_id: old }, type: "org.example.kind" });
  expect(await stateOf(fresh, "m.room.name")).toEqual({ name: "Old name" });
  expect((await stateOf(fresh, "m.room.topic")).topic).toBe("Old topic");
  expect((await stateOf(fresh, "m.room.join_rules")).join_rule).toBe("public");
  expect((await stateOf(fresh, "m.room.canonical_alias")).alias).toBe("#upgradable:localhost");
  // since v12 the creator is not listed in the users of power levels.
  const levels = await stateOf(fresh, "m.room.power_levels");
  expect((levels.users as Record<string, number>)[alice.user_id]).toBeUndefined();

  const alias = await api(server.baseUrl, "GET", `/_matrix/client/v3/directory/room/${enc("#upgradable:localhost")}`);
  expect(alias.body.room_id).toBe(fresh);
  expect((await api(server.baseUrl, "GET", `/_matrix/client/v3/directory/list/room/${enc(fresh)}`)).body.visibility).toBe("public");
  expect((await api(server.baseUrl, "GET", `/_matrix/client/v3/directory/list/room/${enc(old)}`)).body.visibility).toBe("private");

  // The old room is muted for ordinary members.
  const oldLevels = await stateOf(old, "m.room.power_levels");
  expect(oldLevels.events_default).toBe(50);
  expect(oldLevels.invite).toBe(50);
  const muted = await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(old)}/send/m.room.message/m1`, { token: bob.access_token, body: { body: "hi" } });
  expect(muted.status).toBe(403);
  // The new room works.
  await sendMessage(server.baseUrl, alice, fresh, "hello again");
});

test("upgrading v12 -> v11 lists the upgrader in power levels and names the tombstone as predecessor; unknown rooms are 404", async () => {
  const old = await createRoom(server.baseUrl, alice);
  const res = await api<{ replacement_room: string }>(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(old)}/upgrade`, {
    token: alice.access_token,
    body: { new_version: "11" },
  });
  expect(res.status).toBe(200);
  const levels = await stateOf(res.body.replacement_room, "m.room.power_levels");
  expect((levels.users as Record<string, number>)[alice.user_id]).toBe(100);
  // before v12 the predecessor names the old room's last event: its tombstone.
  const oldState = await api<Array<{ type: string; event_id: string }>>(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(old)}/state`, { token: alice.access_token });
  const tombstone = oldState.body.find((e) => e.type === "m.room.tombstone");
  expect((await stateOf(res.body.replacement_room, "m.room.create")).predecessor).toEqual({ room_id: old, event_id: tombstone?.event_id });
  const unknown = await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc("!none:localhost")}/upgrade`, { token: alice.access_token, body: { new_version: "12" } });
  expect(unknown.status).toBe(404);
});

test("bans and m.federate carry over; the upgrader's and each joiner's m.direct, tags and room push rules follow", async () => {
  const old = await createRoom(server.baseUrl, alice, { room_version: "10", preset: "public_chat", creation_content: { "m.federate": false } });
  await joinRoom(server.baseUrl, bob, old);
  const banned = "@spammer:elsewhere.example";
  const ban = await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(old)}/ban`, { token: alice.access_token, body: { user_id: banned, reason: "spam" } });
  expect(ban.status).toBe(200);
  const put = (session: typeof alice, path: string, body: unknown) => api(server.baseUrl, "PUT", `/_matrix/client/v3${path}`, { token: session.access_token, body });
  const get = async (session: typeof alice, path: string) => (await api(server.baseUrl, "GET", `/_matrix/client/v3${path}`, { token: session.access_token })).body;
  const user = (session: typeof alice) => `/user/${enc(session.user_id)}`;
  expect((await put(alice, `${user(alice)}/account_data/m.direct`, { [bob.user_id]: [old, "!other:localhost"] })).status).toBe(200);
  expect((await put(alice, `${user(alice)}/rooms/${enc(old)}/tags/m.favourite`, { order: 0.5 })).status).toBe(200);
  expect((await put(alice, `/pushrules/global/room/${enc(old)}`, { actions: ["notify"] })).status).toBe(200);
  expect((await put(bob, `${user(bob)}/rooms/${enc(old)}/tags/u.work`, {})).status).toBe(200);

  const res = await api<{ replacement_room: string }>(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(old)}/upgrade`, { token: alice.access_token, body: { new_version: "11" } });
  expect(res.status).toBe(200);
  const fresh = res.body.replacement_room;
  expect(await stateOf(fresh, "m.room.member", banned)).toEqual({ membership: "ban", reason: "spam" });
  expect((await stateOf(fresh, "m.room.create"))["m.federate"]).toBe(false);

  expect(await get(alice, `${user(alice)}/account_data/m.direct`)).toEqual({ [bob.user_id]: [old, "!other:localhost", fresh] });
  expect(await get(alice, `${user(alice)}/rooms/${enc(fresh)}/tags`)).toEqual({ tags: { "m.favourite": { order: 0.5 } } });
  expect(await get(alice, `/pushrules/global/room/${enc(fresh)}`)).toMatchObject({ rule_id: fresh, actions: ["notify"], enabled: true });
  // bob's tags wait for bob to join the new room.
  expect(await get(bob, `${user(bob)}/rooms/${enc(fresh)}/tags`)).toEqual({ tags: {} });
  await joinRoom(server.baseUrl, bob, fresh);
  expect(await get(bob, `${user(bob)}/rooms/${enc(fresh)}/tags`)).toEqual({ tags: { "u.work": {} } });
});

test("a room whose create event names a predecessor that was not tombstoned towards it takes nothing from it", async () => {
  const old = await createRoom(server.baseUrl, alice);
  expect((await api(server.baseUrl, "PUT", `/_matrix/client/v3/user/${enc(bob.user_id)}/rooms/${enc(old)}/tags/u.mine`, { token: bob.access_token, body: {} })).status).toBe(200);
  await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(old)}/invite`, { token: alice.access_token, body: { user_id: bob.user_id } });
  await joinRoom(server.baseUrl, bob, old);
  const claimant = await createRoom(server.baseUrl, alice, { preset: "public_chat", creation_content: { predecessor: { room_id: old } } });
  await joinRoom(server.baseUrl, bob, claimant);
  const tags = await api(server.baseUrl, "GET", `/_matrix/client/v3/user/${enc(bob.user_id)}/rooms/${enc(claimant)}/tags`, { token: bob.access_token });
  expect(tags.body).toEqual({ tags: {} });
});
