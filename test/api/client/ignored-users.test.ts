// Ignoring users over HTTP (spec "Ignoring Users"): once m.ignored_user_list names a user, their
// events (but state events) and invites no longer reach the ignorer's /sync, /messages, /context
// or search, and notify nothing; un-ignoring makes the next /sync a full resync that brings what
// was sent meanwhile; malformed lists are refused with nothing changed.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { expectError } from "../../helpers/client";
import { enc } from "../../helpers/rooms";
import { startServer, type TestServer } from "../../helpers/server";
import { syncClient, type SyncEvent } from "../../helpers/sync";
import { addUser, type TestUser } from "../../helpers/users";

let server: TestServer;
let n = 0;
let txn = 0;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.stop());

/** An ignorer and the user they will ignore, in a shared room of their own. */
async function pair() {
  const [me, pest] = await Promise.all([addUser(server, `ignorer${++n}`), addUser(server, `pest${n}`)]);
  const roomId = (await me.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  expect((await pest.call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
  return { me, pest, roomId };
}
const ignore = (who: TestUser, ...userIds: string[]) =>
  who.call("PUT", `/user/${enc(who.id)}/account_data/m.ignored_user_list`, { ignored_users: Object.fromEntries(userIds.map((u) => [u, {}])) });
async function say(who: TestUser, roomId: string, body: string): Promise<string> {
  const res = await who.call<{ event_id: string }>("PUT", `/rooms/${enc(roomId)}/send/m.room.message/i${++txn}`, { msgtype: "m.text", body });
  expect(res.status).toBe(200);
  return res.body.event_id;
}
const bodies = (events: readonly SyncEvent[]) => events.filter((e) => e.type === "m.room.message").map((e) => e.content.body);

test("an ignored user's messages leave /sync, /messages, /context and search; their state events stay", async () => {
  const { me, pest, roomId } = await pair();
  const sync = syncClient(me.call);
  await sync.next();
  expect((await ignore(me, pest.id)).status).toBe(200);
  await say(pest, roomId, "buy cheap watches");
  // A new display name: a state event (their m.room.member) the ignorer must still receive.
  expect((await pest.call("PUT", `/profile/${enc(pest.id)}/displayname`, { displayname: "Pest Renamed" })).status).toBe(200);
  const mine = await say(me, roomId, "hello room");

  const timeline = (await sync.next()).rooms.join[roomId]!.timeline.events;
  expect(bodies(timeline)).toEqual(["hello room"]);
  expect(timeline.some((e) => e.type === "m.room.member" && e.content.displayname === "Pest Renamed")).toBe(true);

  const page = await me.call<{ chunk: SyncEvent[] }>("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
  expect(bodies(page.body.chunk)).toEqual(["hello room"]);
  expect(page.body.chunk.some((e) => e.type === "m.room.member" && e.content.displayname === "Pest Renamed")).toBe(true);
  const ctx = await me.call<{ events_before: SyncEvent[] }>("GET", `/rooms/${enc(roomId)}/context/${enc(mine)}?limit=10`);
  expect(bodies(ctx.body.events_before)).toEqual([]);

  const found = await me.call<{ search_categories: { room_events: { results: unknown[] } } }>("POST", "/search", {
    search_categories: { room_events: { search_term: "watches", filter: { rooms: [roomId] } } },
  });
  expect(found.body.search_categories.room_events.results).toEqual([]);
  // The pest themselves still sees everything.
  expect(bodies((await pest.call<{ chunk: SyncEvent[] }>("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).body.chunk)).toEqual(["hello room", "buy cheap watches"]);
});

test("an ignored user's messages notify nothing: no unread count, no notification", async () => {
  const { me, pest, roomId } = await pair();
  expect((await ignore(me, pest.id)).status).toBe(200);
  await say(pest, roomId, `${me.id} look at this`);
  const sync = syncClient(me.call);
  expect((await sync.next()).rooms.join[roomId]!.unread_notifications.notification_count).toBe(0);
  const list = await me.call<{ notifications: unknown[] }>("GET", "/notifications");
  expect(list.body.notifications).toEqual([]);
});

test("invites from an ignored user never reach /sync", async () => {
  const { me, pest } = await pair();
  const sync = syncClient(me.call);
  await sync.next();
  expect((await ignore(me, pest.id)).status).toBe(200);
  const roomId = (await pest.call<{ room_id: string }>("POST", "/createRoom", { invite: [me.id] })).body.room_id;
  expect((await sync.next()).rooms.invite[roomId]).toBeUndefined();
  sync.reset();
  expect((await sync.next()).rooms.invite[roomId]).toBeUndefined();
});

test("un-ignoring makes the next /sync a full resync with what was sent meanwhile, then syncs go on as before", async () => {
  const { me, pest, roomId } = await pair();
  const sync = syncClient(me.call);
  expect((await ignore(me, pest.id)).status).toBe(200);
  await sync.next();
  await say(pest, roomId, "sent while ignored");
  await say(me, roomId, "my own words");
  expect(bodies((await sync.next()).rooms.join[roomId]!.timeline.events)).toEqual(["my own words"]);

  expect((await ignore(me)).status).toBe(200);
  const resync = await sync.next();
  const room = resync.rooms.join[roomId]!;
  expect(bodies(room.timeline.events)).toEqual(["sent while ignored", "my own words"]);
  expect(room.state.events.some((e) => e.type === "m.room.create") || room.timeline.events.some((e) => e.type === "m.room.create")).toBe(true);
  expect(resync.account_data.events.find((e) => e.type === "m.ignored_user_list")?.content).toEqual({ ignored_users: {} });

  await say(pest, roomId, "after un-ignoring");
  const after = (await sync.next()).rooms.join[roomId]!;
  expect(bodies(after.timeline.events)).toEqual(["after un-ignoring"]);
  expect(after.state.events.some((e) => e.type === "m.room.create")).toBe(false);
});

test("a malformed ignore list is refused and the old one stays", async () => {
  const { me, pest } = await pair();
  expect((await ignore(me, pest.id)).status).toBe(200);
  const path = `/user/${enc(me.id)}/account_data/m.ignored_user_list`;
  expectError(await me.call("PUT", path, { ignored_users: [pest.id] }), 400, "M_BAD_JSON");
  expectError(await me.call("PUT", path, { ignored_users: { "not a user": {} } }), 400, "M_INVALID_PARAM");
  expect((await me.call("GET", path)).body).toEqual({ ignored_users: { [pest.id]: {} } });
});
