// The polling APIs from before /sync, over real HTTP: /events delivers everything after a token in
// order (paged by `limit`, never skipping), with presence, typing, receipts and account data; a
// world-readable room can be peeked at; /initialSync and a room's initialSync give state, latest
// messages, receipts, account data and presence; /events/{eventId} serves what the user may see.
import { describe, expect, test } from "bun:test";
import { api, registerUser, type Session } from "../../helpers/client";
import { createRoom, enc, joinRoom, sendMessage, serverWithUsers, setState } from "../../helpers/rooms";

const { server, alice, bob, carol } = serverWithUsers(["alice", "bob", "carol"]);

interface V1Event {
  type: string;
  room_id?: string;
  sender?: string;
  user_id?: string;
  event_id?: string;
  state_key?: string;
  content: Record<string, unknown>;
}
interface EventsPage {
  start: string;
  end: string;
  chunk: V1Event[];
}
interface InitialRoom {
  room_id: string;
  membership?: string;
  visibility: string;
  state: V1Event[];
  messages: { start: string; end: string; chunk: V1Event[] };
  account_data: V1Event[];
  presence?: V1Event[];
  inviter?: string;
}

const get = <T>(who: Session, path: string) => api<T>(server.baseUrl, "GET", `/_matrix/client/v3${path}`, { token: who.access_token });
const events = (who: Session, query: Record<string, string>) => get<EventsPage>(who, `/events?${new URLSearchParams(query)}`);
const initialSync = (who: Session, query = "") => get<{ end: string; rooms: InitialRoom[]; presence: V1Event[]; receipts: V1Event[]; account_data: V1Event[] }>(who, `/initialSync${query}`);
const roomInitialSync = (who: Session, roomId: string, query = "") => get<InitialRoom>(who, `/rooms/${enc(roomId)}/initialSync${query}`);

/** Polls /events from `from` until `found` holds for the collected events; returns them and the last token. */
async function collect(who: Session, from: string, found: (seen: V1Event[]) => boolean, query: Record<string, string> = {}) {
  const seen: V1Event[] = [];
  let token = from;
  for (let i = 0; i < 50 && !found(seen); i++) {
    const page = await events(who, { from: token, timeout: "2000", ...query });
    expect(page.status).toBe(200);
    seen.push(...page.body.chunk);
    token = page.body.end;
  }
  return { seen, token };
}

describe("GET /events", () => {
  test("pages through many messages in order with `limit`, each exactly once, with room_id and user_id", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const from = (await events(alice, { timeout: "0" })).body.end;
    const sent: string[] = [];
    for (let i = 0; i < 12; i++) sent.push(await sendMessage(server.baseUrl, alice, roomId, `m${i}`));
    const pages: V1Event[][] = [];
    let token = from;
    for (let i = 0; i < 10; i++) {
      const page = await events(alice, { from: token, timeout: "0", limit: "5" });
      token = page.body.end;
      const messages = page.body.chunk.filter((e) => e.type === "m.room.message");
      if (messages.length === 0) break;
      pages.push(messages);
    }
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    const all = pages.flat();
    expect(all.map((e) => e.event_id)).toEqual(sent);
    expect(all.every((e) => e.room_id === roomId && e.user_id === alice.user_id && e.sender === alice.user_id)).toBe(true);
  });

  test("waits for news up to the timeout, and without news answers an empty chunk", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const from = (await events(alice, { timeout: "0" })).body.end;
    const quiet = await events(alice, { from, timeout: "200" });
    expect(quiet.status).toBe(200);
    expect(quiet.body.chunk).toEqual([]);
    const poll = events(alice, { from, timeout: "10000" });
    const eventId = await sendMessage(server.baseUrl, alice, roomId, "wake");
    const woken = await poll;
    expect(woken.body.chunk.map((e) => e.event_id)).toContain(eventId);
  });

  test("carries typing, receipts, account data (global and per room) and presence", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    await joinRoom(server.baseUrl, bob, roomId);
    const from = (await events(alice, { timeout: "0" })).body.end;
    const message = await sendMessage(server.baseUrl, bob, roomId, "hello");
    const call = (who: Session, method: string, path: string, body: unknown) => api(server.baseUrl, method, `/_matrix/client/v3${path}`, { token: who.access_token, body });
    await call(bob, "PUT", `/rooms/${enc(roomId)}/typing/${enc(bob.user_id)}`, { typing: true, timeout: 30000 });
    await call(bob, "POST", `/rooms/${enc(roomId)}/receipt/m.read/${enc(message)}`, {});
    await call(alice, "PUT", `/user/${enc(alice.user_id)}/account_data/org.example.global`, { a: 1 });
    await call(alice, "PUT", `/user/${enc(alice.user_id)}/rooms/${enc(roomId)}/account_data/org.example.room`, { b: 2 });
    await call(bob, "PUT", `/presence/${enc(bob.user_id)}/status`, { presence: "unavailable", status_msg: "away" });
    const wanted = ["m.typing", "m.receipt", "org.example.global", "org.example.room", "m.presence"];
    const { seen } = await collect(alice, from, (s) => wanted.every((t) => s.some((e) => e.type === t)));
    const byType = (type: string) => seen.filter((e) => e.type === type);
    expect(byType("m.typing").at(-1)).toMatchObject({ room_id: roomId, content: { user_ids: [bob.user_id] } });
    expect(byType("m.receipt").at(-1)).toMatchObject({ room_id: roomId });
    expect(byType("m.receipt").at(-1)!.content[message]).toBeDefined();
    expect(byType("org.example.global").at(-1)).toEqual({ type: "org.example.global", content: { a: 1 } });
    expect(byType("org.example.room").at(-1)).toEqual({ type: "org.example.room", content: { b: 2 }, room_id: roomId });
    const presence = byType("m.presence").filter((e) => e.sender === bob.user_id).at(-1)!;
    expect(presence.content).toMatchObject({ presence: "unavailable", status_msg: "away", user_id: bob.user_id });
  });

  test("its tokens acknowledge no to-device message (it delivers none): /sync from them still gets them", async () => {
    const before = (await initialSync(bob)).body.end;
    await api(server.baseUrl, "PUT", "/_matrix/client/v3/sendToDevice/m.test/legacy1", {
      token: alice.access_token,
      body: { messages: { [bob.user_id]: { [bob.device_id]: { kept: true } } } },
    });
    const first = (await events(bob, { from: before, timeout: "0" })).body.end;
    const second = (await events(bob, { from: first, timeout: "0" })).body.end;
    const synced = await get<{ to_device: { events: V1Event[] } }>(bob, `/sync?since=${second}`);
    expect(synced.body.to_device.events.map((e) => e.content)).toEqual([{ kept: true }]);
  });

  test("a world-readable room can be peeked at with room_id; another room cannot", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    await setState(server.baseUrl, alice, roomId, "m.room.history_visibility", { history_visibility: "world_readable" });
    const from = (await events(carol, { room_id: roomId, timeout: "0" })).body.end;
    const eventId = await sendMessage(server.baseUrl, alice, roomId, "for peekers");
    const { seen } = await collect(carol, from, (s) => s.some((e) => e.event_id === eventId), { room_id: roomId });
    expect(seen.find((e) => e.event_id === eventId)?.content.body).toBe("for peekers");
    const privateRoom = await createRoom(server.baseUrl, alice);
    expect((await events(carol, { room_id: privateRoom, timeout: "0" })).status).toBe(403);
  });
});

describe("GET /initialSync", () => {
  test("every joined room with its state, latest messages, visibility, tags and receipts; own presence", async () => {
    const session = await registerUser(server.baseUrl, "dave");
    const roomId = await createRoom(server.baseUrl, session, { preset: "public_chat", visibility: "public", topic: "legacy" });
    const last = await sendMessage(server.baseUrl, session, roomId, "latest");
    await api(server.baseUrl, "PUT", `/_matrix/client/v3/user/${enc(session.user_id)}/rooms/${enc(roomId)}/tags/u.work`, { token: session.access_token, body: { order: 0.5 } });
    await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(last)}`, { token: session.access_token, body: {} });
    const res = await initialSync(session, "?limit=2");
    expect(res.status).toBe(200);
    const room = res.body.rooms.find((r) => r.room_id === roomId)!;
    expect(room).toMatchObject({ membership: "join", visibility: "public" });
    expect(room.state.find((e) => e.type === "m.room.topic")?.content.topic).toBe("legacy");
    expect(room.state.find((e) => e.type === "m.room.member" && e.state_key === session.user_id)?.user_id).toBe(session.user_id);
    expect(room.messages.chunk).toHaveLength(2);
    expect(room.messages.chunk.at(-1)?.event_id).toBe(last);
    expect(room.account_data).toEqual([{ type: "m.tag", content: { tags: { "u.work": { order: 0.5 } } } }]);
    const receipt = res.body.receipts.find((r) => r.room_id === roomId);
    expect(receipt?.content[last]).toBeDefined();
    expect(res.body.presence.some((p) => p.content.user_id === session.user_id)).toBe(true);
    // Global account data is the user's own: push rules are not part of it here.
    await api(server.baseUrl, "PUT", `/_matrix/client/v3/user/${enc(session.user_id)}/account_data/org.example.mine`, { token: session.access_token, body: { x: 1 } });
    expect((await initialSync(session, "?limit=0")).body.account_data).toEqual([{ type: "org.example.mine", content: { x: 1 } }]);
    // limit=0: no messages; the end token continues in /events.
    const empty = await initialSync(session, "?limit=0");
    expect(empty.body.rooms.find((r) => r.room_id === roomId)?.messages.chunk).toEqual([]);
    const after = await sendMessage(server.baseUrl, session, roomId, "after");
    const { seen } = await collect(session, empty.body.end, (s) => s.some((e) => e.event_id === after));
    expect(seen.filter((e) => e.type === "m.room.message").map((e) => e.event_id)).toEqual([after]);
  });

  test("invites come with their inviter; left rooms only with archived=true", async () => {
    const invited = await createRoom(server.baseUrl, alice, { invite: [carol.user_id] });
    const left = await createRoom(server.baseUrl, carol);
    await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(left)}/leave`, { token: carol.access_token, body: {} });
    const res = await initialSync(carol);
    expect(res.body.rooms.find((r) => r.room_id === invited)).toMatchObject({ membership: "invite", inviter: alice.user_id });
    expect(res.body.rooms.find((r) => r.room_id === left)).toBeUndefined();
    const archived = await initialSync(carol, "?archived=true");
    expect(archived.body.rooms.find((r) => r.room_id === left)).toMatchObject({ membership: "leave" });
  });
});

describe("GET /rooms/{roomId}/initialSync and /events/{eventId}", () => {
  test("members and peekers of a world-readable room get the room; others 403", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    const eventId = await sendMessage(server.baseUrl, alice, roomId, "hi");
    const mine = await roomInitialSync(alice, roomId, "?limit=1");
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ room_id: roomId, membership: "join" });
    expect(mine.body.messages.chunk.map((e) => e.event_id)).toEqual([eventId]);
    expect(mine.body.presence?.some((p) => p.content.user_id === alice.user_id)).toBe(true);
    // A member who never had presence is there too, offline.
    const dora = await registerUser(server.baseUrl, "dora-never-online");
    await joinRoom(server.baseUrl, dora, roomId);
    const withDora = await roomInitialSync(alice, roomId);
    expect(withDora.body.presence?.find((p) => p.content.user_id === dora.user_id)?.content).toEqual({ presence: "offline", user_id: dora.user_id });
    expect((await roomInitialSync(carol, roomId)).status).toBe(403);
    // Once dora has left, her view of the room has nobody's presence: it would be news from after she left.
    await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, { token: dora.access_token, body: {} });
    const departed = await roomInitialSync(dora, roomId);
    expect([departed.status, departed.body.membership, departed.body.presence]).toEqual([200, "leave", []]);
    expect((await get(carol, `/events/${enc(eventId)}`)).status).toBe(404);
    expect((await get<V1Event>(alice, `/events/${enc(eventId)}`)).body).toMatchObject({ event_id: eventId, room_id: roomId, content: { body: "hi" } });

    // Once the room is world-readable, what is sent from then on is readable by anyone.
    await setState(server.baseUrl, alice, roomId, "m.room.history_visibility", { history_visibility: "world_readable" });
    const readable = await sendMessage(server.baseUrl, alice, roomId, "for everyone");
    const peeked = await roomInitialSync(carol, roomId);
    expect(peeked.status).toBe(200);
    expect(peeked.body.membership).toBeUndefined();
    const ids = peeked.body.messages.chunk.map((e) => e.event_id);
    expect(ids).toContain(readable);
    expect(ids).not.toContain(eventId);
    expect((await get(carol, `/events/${enc(readable)}`)).status).toBe(200);
    expect((await get(carol, `/events/${enc(eventId)}`)).status).toBe(404);
  });
});
