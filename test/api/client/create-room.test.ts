// POST /createRoom over HTTP: room versions, presets, v12 room ids, power levels, aliases, invites,
// initial state, and the errors the spec names.
import { describe, expect, test } from "bun:test";
import { api, registerUser, type Session } from "../../helpers/client";
import { startServer } from "../../helpers/server";
import { serverWithUsers, createRoom, enc, messages, sendMessage, type ClientEvent } from "../../helpers/rooms";

const { server, alice, bob } = serverWithUsers(["alice", "bob"]);

const state = async (who: Session, roomId: string, type: string, key = "", format = "content") =>
  api<Record<string, unknown>>(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(key)}?format=${format}`, {
    token: who.access_token,
  });

describe("room versions", () => {
  test("the default is v12: the room id is the create event's reference hash, without a server name", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    expect(roomId).toMatch(/^![A-Za-z0-9_-]{43}$/);
    const create = (await state(alice, roomId, "m.room.create", "", "event")).body as unknown as ClientEvent;
    expect(create.content.room_version).toBe("12");
    // since v12: room id = "!" + the create event's id without its "$".
    expect(create.event_id).toBe(`$${roomId.slice(1)}`);
    expect(create.content.creator).toBeUndefined();
  });

  test("v12 does not list the creator in power_levels users; v11 gives the creator 100", async () => {
    const v12 = await createRoom(server.baseUrl, alice);
    const pl12 = (await state(alice, v12, "m.room.power_levels")).body;
    expect(pl12.users).toEqual({});
    expect((pl12.events as Record<string, number>)["m.room.tombstone"]).toBe(150);
    const v11 = await createRoom(server.baseUrl, alice, { room_version: "11" });
    expect(v11).toMatch(/^![^:]+:localhost$/);
    const pl11 = (await state(alice, v11, "m.room.power_levels")).body;
    expect(pl11.users).toEqual({ [alice.user_id]: 100 });
  });

  test("every room version 1-12 can be created and written to", async () => {
    for (let v = 1; v <= 12; v++) {
      const roomId = await createRoom(server.baseUrl, alice, { room_version: String(v), name: `v${v}` });
      const eventId = await sendMessage(server.baseUrl, alice, roomId, `hello v${v}`);
      if (v <= 2) expect(eventId).toMatch(/^\$[^:]+:localhost$/);
      else expect(eventId).not.toContain(":");
      const res = await messages(server.baseUrl, alice, roomId, { dir: "b", limit: "1" });
      expect(res.body.chunk[0]?.event_id).toBe(eventId);
      const create = (await state(alice, roomId, "m.room.create")).body;
      expect(create.room_version).toBe(String(v));
      // until v11 the content names the creator; since v11 the sender is the creator.
      expect(create.creator).toBe(v <= 10 ? alice.user_id : undefined);
    }
  });

  test("an unknown room version is 400 M_UNSUPPORTED_ROOM_VERSION", async () => {
    const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.access_token, body: { room_version: "13" } });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_UNSUPPORTED_ROOM_VERSION");
  });
});

describe("presets and content", () => {
  test("private_chat: invite-only, shared history, guests can join; public_chat: public, guests forbidden", async () => {
    const priv = await createRoom(server.baseUrl, alice, { preset: "private_chat" });
    expect((await state(alice, priv, "m.room.join_rules")).body.join_rule).toBe("invite");
    expect((await state(alice, priv, "m.room.history_visibility")).body.history_visibility).toBe("shared");
    expect((await state(alice, priv, "m.room.guest_access")).body.guest_access).toBe("can_join");
    const pub = await createRoom(server.baseUrl, alice, { visibility: "public" });
    expect((await state(alice, pub, "m.room.join_rules")).body.join_rule).toBe("public");
    expect((await state(alice, pub, "m.room.guest_access")).body.guest_access).toBe("forbidden");
  });

  test("name, topic, alias, initial_state and power level overrides land in state, in the spec's order", async () => {
    const roomId = await createRoom(server.baseUrl, alice, {
      name: "Pub",
      topic: "Happy hour",
      room_alias_name: "pub",
      initial_state: [
        { type: "m.room.name", content: { name: "overridden by name" } },
        { type: "org.example.custom", state_key: "k", content: { a: 1 } },
        { type: "m.room.history_visibility", content: { history_visibility: "joined" } },
      ],
      power_level_content_override: { events_default: 10 },
    });
    expect((await state(alice, roomId, "m.room.name")).body.name).toBe("Pub");
    const topic = (await state(alice, roomId, "m.room.topic")).body;
    expect(topic.topic).toBe("Happy hour");
    expect(topic["m.topic"]).toEqual({ "m.text": [{ body: "Happy hour", mimetype: "text/plain" }] });
    expect((await state(alice, roomId, "m.room.canonical_alias")).body.alias).toBe("#pub:localhost");
    expect((await state(alice, roomId, "org.example.custom", "k")).body).toEqual({ a: 1 });
    expect((await state(alice, roomId, "m.room.history_visibility")).body.history_visibility).toBe("joined");
    expect((await state(alice, roomId, "m.room.power_levels")).body.events_default).toBe(10);
    const alias = await api(server.baseUrl, "GET", `/_matrix/client/v3/directory/room/${enc("#pub:localhost")}`);
    expect(alias.body.room_id).toBe(roomId);

    const timeline = await messages(server.baseUrl, alice, roomId, { dir: "f", limit: "50" });
    const types = timeline.body.chunk.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(["m.room.create", "m.room.member", "m.room.power_levels", "m.room.canonical_alias"]);
    expect(types.indexOf("org.example.custom")).toBeLessThan(types.indexOf("m.room.name"));
  });

  test("invitees get invite events with is_direct; trusted_private_chat makes them v12 additional creators", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { invite: [bob.user_id], is_direct: true, preset: "trusted_private_chat" });
    const member = (await state(alice, roomId, "m.room.member", bob.user_id)).body;
    expect(member).toMatchObject({ membership: "invite", is_direct: true });
    const create = (await state(alice, roomId, "m.room.create")).body;
    expect(create.additional_creators).toEqual([bob.user_id]);
    const v11 = await createRoom(server.baseUrl, alice, { invite: [bob.user_id], preset: "trusted_private_chat", room_version: "11" });
    expect(((await state(alice, v11, "m.room.power_levels")).body.users as Record<string, number>)[bob.user_id]).toBe(100);
  });

  test("inviting an unknown local user is 404 M_NOT_FOUND and creates nothing", async () => {
    const before = await api<{ joined_rooms: string[] }>(server.baseUrl, "GET", "/_matrix/client/v3/joined_rooms", { token: alice.access_token });
    const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.access_token, body: { invite: ["@nobody:localhost"] } });
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe("M_NOT_FOUND");
    const after = await api<{ joined_rooms: string[] }>(server.baseUrl, "GET", "/_matrix/client/v3/joined_rooms", { token: alice.access_token });
    expect(after.body.joined_rooms.length).toBe(before.body.joined_rooms.length);
  });

  test("a taken alias is 400 M_ROOM_IN_USE", async () => {
    await createRoom(server.baseUrl, alice, { room_alias_name: "taken" });
    const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: bob.access_token, body: { room_alias_name: "taken" } });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_ROOM_IN_USE");
  });

  test("initial state the creator may not send is 400 M_INVALID_ROOM_STATE, and no room is left behind", async () => {
    const before = await api<{ joined_rooms: string[] }>(server.baseUrl, "GET", "/_matrix/client/v3/joined_rooms", { token: alice.access_token });
    const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", {
      token: alice.access_token,
      body: { room_version: "11", power_level_content_override: { users: { [alice.user_id]: 0 } }, name: "no power" },
    });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_INVALID_ROOM_STATE");
    const after = await api<{ joined_rooms: string[] }>(server.baseUrl, "GET", "/_matrix/client/v3/joined_rooms", { token: alice.access_token });
    expect(after.body.joined_rooms).toEqual(before.body.joined_rooms);
    // The server still works after the aborted creation.
    const roomId = await createRoom(server.baseUrl, alice, { name: "after" });
    expect((await state(alice, roomId, "m.room.name")).body.name).toBe("after");
  });

  test("a body that is not a JSON object is refused", async () => {
    const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.access_token, body: { invite: "bob" } });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_BAD_JSON");
    const anon = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { body: {} });
    expect(anon.status).toBe(401);
  });

  test("joined_rooms lists the rooms the user created", async () => {
    const roomId = await createRoom(server.baseUrl, bob);
    const res = await api<{ joined_rooms: string[] }>(server.baseUrl, "GET", "/_matrix/client/v3/joined_rooms", { token: bob.access_token });
    expect(res.body.joined_rooms).toContain(roomId);
  });
});

test("allow_room_creation = false refuses with 403 M_FORBIDDEN", async () => {
  const locked = await startServer({ toml: "allow_room_creation = false" });
  try {
    const user = await registerUser(locked.baseUrl, "carol");
    const res = await api(locked.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: user.access_token, body: {} });
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
  } finally {
    await locked.stop();
  }
});

test("legacy r0 paths reach the same endpoints", async () => {
  const res = await api<{ room_id: string }>(server.baseUrl, "POST", "/_matrix/client/r0/createRoom", { token: alice.access_token, body: { name: "old client" } });
  expect(res.status).toBe(200);
  const name = await api(server.baseUrl, "GET", `/_matrix/client/r0/rooms/${enc(res.body.room_id)}/state/m.room.name/`, { token: alice.access_token });
  expect(name.body).toEqual({ name: "old client" });
});

describe("allow_encryption = false", () => {
  test("refuses to turn encryption on, in createRoom and by state, and creates nothing", async () => {
    const closed = await startServer({ toml: "allow_encryption = false" });
    try {
      const carol = await registerUser(closed.baseUrl, "carol");
      const encryption = { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } };
      const refused = await api(closed.baseUrl, "POST", "/_matrix/client/v3/createRoom", {
        token: carol.access_token,
        body: { initial_state: [encryption] },
      });
      // createRoom reports a refused initial state as the spec's M_INVALID_ROOM_STATE.
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ errcode: "M_INVALID_ROOM_STATE", error: expect.stringContaining("allow_encryption") });
      const joined = await api<{ joined_rooms: string[] }>(closed.baseUrl, "GET", "/_matrix/client/v3/joined_rooms", { token: carol.access_token });
      expect(joined.body.joined_rooms).toEqual([]);

      const roomId = await createRoom(closed.baseUrl, carol);
      const put = await api(closed.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.encryption/`, {
        token: carol.access_token,
        body: encryption.content,
      });
      expect(put.status).toBe(403);
      expect(put.body.errcode).toBe("M_FORBIDDEN");
      const get = await api(closed.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.encryption/`, { token: carol.access_token });
      expect(get.status).toBe(404);
    } finally {
      await closed.stop();
    }
  });

  test("is on by default: an encrypted room can be created", async () => {
    const res = await api<{ room_id: string }>(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", {
      token: alice.access_token,
      body: { initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }] },
    });
    expect(res.status).toBe(200);
    expect((await state(alice, res.body.room_id, "m.room.encryption")).body).toEqual({ algorithm: "m.megolm.v1.aes-sha2" });
  });
});
