// History visibility over HTTP: `joined`, `invited`, `shared` and `world_readable` applied to
// /messages, /event, /context and /state, including former members.
import { expect, test } from "bun:test";
import { api, type Session } from "../../helpers/client";
import { serverWithUsers, createRoom, enc, joinRoom, messages, roomAction, sendMessage, setState } from "../../helpers/rooms";

const { server, alice, bob } = serverWithUsers(["alice", "bob"]);

const bodiesSeenBy = async (who: Session, roomId: string) =>
  (await messages(server.baseUrl, who, roomId, { limit: "100" })).body.chunk.filter((e) => e.type === "m.room.message").map((e) => e.content.body);

const roomWith = (history_visibility: string) =>
  createRoom(server.baseUrl, alice, { preset: "public_chat", initial_state: [{ type: "m.room.history_visibility", content: { history_visibility } }] });

test("joined: only events from the join on, and none after leaving", async () => {
  const roomId = await roomWith("joined");
  const before = await sendMessage(server.baseUrl, alice, roomId, "before");
  await joinRoom(server.baseUrl, bob, roomId);
  await sendMessage(server.baseUrl, alice, roomId, "during");
  await roomAction(server.baseUrl, bob, roomId, "leave");
  await sendMessage(server.baseUrl, alice, roomId, "after");
  expect(await bodiesSeenBy(bob, roomId)).toEqual(["during"]);
  expect(await bodiesSeenBy(alice, roomId)).toEqual(["after", "during", "before"]);
  const hidden = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(before)}`, { token: bob.access_token });
  expect(hidden.status).toBe(404);
  const ctx = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/context/${enc(before)}`, { token: bob.access_token });
  expect(ctx.status).toBe(404);
  // A former member reads the state as it was when they left.
  await setState(server.baseUrl, alice, roomId, "m.room.topic", { topic: "later" });
  const topic = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`, { token: bob.access_token });
  expect(topic.status).toBe(404);
  const members = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.user_id)}`, { token: bob.access_token });
  expect(members.body.membership).toBe("leave");
});

test("shared: a member sees history from before joining; invited: from the invite on", async () => {
  const shared = await roomWith("shared");
  await sendMessage(server.baseUrl, alice, shared, "old");
  await joinRoom(server.baseUrl, bob, shared);
  expect(await bodiesSeenBy(bob, shared)).toEqual(["old"]);

  const invited = await roomWith("invited");
  await sendMessage(server.baseUrl, alice, invited, "pre-invite");
  await roomAction(server.baseUrl, alice, invited, "invite", { user_id: bob.user_id });
  await sendMessage(server.baseUrl, alice, invited, "post-invite");
  await joinRoom(server.baseUrl, bob, invited);
  await sendMessage(server.baseUrl, alice, invited, "joined");
  expect(await bodiesSeenBy(bob, invited)).toEqual(["joined", "post-invite"]);
});

test("world_readable: non-members read messages and state; other rooms refuse them with 403", async () => {
  const open = await roomWith("world_readable");
  await sendMessage(server.baseUrl, alice, open, "public words");
  expect(await bodiesSeenBy(bob, open)).toEqual(["public words"]);
  const state = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(open)}/state`, { token: bob.access_token });
  expect(state.status).toBe(200);
  // joined_members is for members only, world-readable or not.
  const joinedMembers = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(open)}/joined_members`, { token: bob.access_token });
  expect(joinedMembers.status).toBe(403);
  const closed = await roomWith("shared");
  const refused = await messages(server.baseUrl, bob, closed);
  expect(refused.status).toBe(403);
  expect(refused.body).toMatchObject({ errcode: "M_FORBIDDEN" });
  // Events sent while the room was world-readable stay readable after it closes; later ones do not.
  await setState(server.baseUrl, alice, open, "m.room.history_visibility", { history_visibility: "joined" });
  await sendMessage(server.baseUrl, alice, open, "members only");
  const after = await messages(server.baseUrl, bob, open);
  expect(after.status).toBe(403);
  await joinRoom(server.baseUrl, bob, open);
  expect(await bodiesSeenBy(bob, open)).toEqual(["public words"]);
});
