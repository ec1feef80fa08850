// GET /notifications (spec "Listing Notifications"): the events that notified the user, newest
// first across rooms, with their actions and read state; `limit`, `from`/`next_token` pages,
// `only=highlight`, and bad parameters refused.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TestServer } from "../../helpers/server";
import { serverWithUsers, type TestUser } from "../../helpers/users";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
beforeAll(async () => {
  ({ server, users: { alice, bob } } = await serverWithUsers(["alice", "bob"]));
});
afterAll(() => server.stop());

const enc = encodeURIComponent;
let txn = 0;

interface Notification {
  actions: unknown[];
  event: { event_id: string; content: { body: string }; room_id?: string };
  read: boolean;
  room_id: string;
  ts: number;
}
type Page = { notifications: Notification[]; next_token?: string };

async function room(): Promise<string> {
  const roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  await bob.call("POST", `/join/${enc(roomId)}`, {});
  return roomId;
}
async function say(roomId: string, body: string, mention = false): Promise<string> {
  const content = { msgtype: "m.text", body, ...(mention ? { "m.mentions": { user_ids: [bob.id] } } : {}) };
  return (await alice.call<{ event_id: string }>("PUT", `/rooms/${enc(roomId)}/send/m.room.message/n${++txn}`, content)).body.event_id;
}
const bodies = (page: Page) => page.notifications.map((n) => n.event.content.body);

let first: string;
let second: string;
beforeAll(async () => {
  first = await room();
  second = await room();
  await say(first, "a1");
  await say(second, "b1", true);
  await say(first, "a2");
  await say(second, "b2");
  await say(first, "a3", true);
  // Bob's own message notifies nobody, alice's notice neither.
  await bob.call("PUT", `/rooms/${enc(first)}/send/m.room.message/own`, { msgtype: "m.text", body: "bob says" });
});

test("notifications from every room come newest first, with actions, room and read state", async () => {
  const page = (await bob.call<Page>("GET", "/notifications")).body;
  // Bob's own message marked everything before it in the first room read.
  expect(bodies(page)).toEqual(["a3", "b2", "a2", "b1", "a1"]);
  const [a3, b2] = page.notifications;
  expect(a3!.room_id).toBe(first);
  expect(a3!.event.room_id).toBeUndefined();
  expect(a3!.actions).toEqual(["notify", { set_tweak: "sound", value: "default" }, { set_tweak: "highlight" }]);
  // A room of two: .m.rule.room_one_to_one.
  expect(b2!.actions).toEqual(["notify", { set_tweak: "sound", value: "default" }]);
  expect(page.notifications.map((n) => n.read)).toEqual([true, false, true, false, true]);
  expect(page.notifications.every((n) => n.ts > 0)).toBe(true);
  expect(page.next_token).toBeUndefined();
  // Alice's own messages never notify her; Bob's one did.
  expect(bodies((await alice.call<Page>("GET", "/notifications")).body)).toEqual(["bob says"]);
});

test("limit and next_token page through without gaps or repeats", async () => {
  const one = (await bob.call<Page>("GET", "/notifications?limit=2")).body;
  expect(bodies(one)).toEqual(["a3", "b2"]);
  const two = (await bob.call<Page>("GET", `/notifications?limit=2&from=${one.next_token}`)).body;
  expect(bodies(two)).toEqual(["a2", "b1"]);
  const three = (await bob.call<Page>("GET", `/notifications?limit=2&from=${two.next_token}`)).body;
  expect(bodies(three)).toEqual(["a1"]);
  expect(three.next_token).toBeUndefined();
});

test("only=highlight lists the highlights", async () => {
  expect(bodies((await bob.call<Page>("GET", "/notifications?only=highlight")).body)).toEqual(["a3", "b1"]);
});

test("a receipt marks the notifications up to it read", async () => {
  const b2 = (await bob.call<Page>("GET", "/notifications")).body.notifications[1]!;
  await bob.call("POST", `/rooms/${enc(second)}/receipt/m.read/${enc(b2.event.event_id)}`, {});
  expect((await bob.call<Page>("GET", "/notifications")).body.notifications.map((n) => n.read)).toEqual([true, true, true, true, true]);
});

test("bad parameters are refused", async () => {
  for (const query of ["from=abc", "limit=0", "limit=x"]) {
    const res = await bob.call<{ errcode: string }>("GET", `/notifications?${query}`);
    expect([res.status, res.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
  }
});
