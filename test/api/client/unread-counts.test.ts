// Unread notification and highlight counts in /sync, kept as events and receipts are written
// (spec "Receiving notifications", "Marking notifications as read"): what counts by the push
// rules, what clears it (public and private receipts, the furthest of them, sending an event),
// per-thread counts with threaded receipts, muted rooms, and counts after leaving.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestServer } from "../../helpers/server";
import { syncClient, type JoinedRoom, type SyncBody } from "../../helpers/sync";
import { roomOf, sendAs, serverWithUsers, type TestUser } from "../../helpers/users";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
beforeAll(async () => {
  ({ server, users: { alice, bob, carol } } = await serverWithUsers(["alice", "bob", "carol"]));
});
afterAll(() => server.stop());

const enc = encodeURIComponent;

const room = (members: TestUser[] = [bob], body?: Record<string, unknown>) => roomOf(alice, members, body);
const send = sendAs;
const text = (body: string, extra: Record<string, unknown> = {}) => ({ msgtype: "m.text", body, ...extra });

async function receipt(who: TestUser, roomId: string, eventId: string, type = "m.read", body: Record<string, unknown> = {}) {
  expect((await who.call("POST", `/rooms/${enc(roomId)}/receipt/${type}/${enc(eventId)}`, body)).status).toBe(200);
}

type Counted = JoinedRoom & { unread_thread_notifications?: Record<string, { notification_count: number; highlight_count: number }> };

async function countsOf(who: TestUser, roomId: string, filter?: Record<string, unknown>) {
  const query = filter ? `?filter=${enc(JSON.stringify(filter))}` : "";
  const body = (await who.call<SyncBody>("GET", `/sync${query}`)).body;
  const r = body.rooms.join[roomId] as Counted;
  return { main: r.unread_notifications, threads: r.unread_thread_notifications };
}
const counts = async (who: TestUser, roomId: string) => (await countsOf(who, roomId)).main;

describe("what counts", () => {
  test("messages from others count, the user's own never do, member events and notices neither", async () => {
    const roomId = await room([bob, carol]);
    await send(alice, roomId, text("one"));
    await send(alice, roomId, text("two"));
    await send(alice, roomId, { msgtype: "m.notice", body: "bot" });
    await send(bob, roomId, text("mine"));
    expect(await counts(bob, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
    expect(await counts(carol, roomId)).toEqual({ notification_count: 3, highlight_count: 0 });
  });

  test("a mention highlights only the mentioned user; @room highlights everyone when the sender may", async () => {
    const roomId = await room([bob, carol]);
    await send(alice, roomId, text("hey bob", { "m.mentions": { user_ids: [bob.id] } }));
    expect(await counts(bob, roomId)).toEqual({ notification_count: 1, highlight_count: 1 });
    expect(await counts(carol, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });
    // Alice created the room (power 100); carol has 0, below notifications.room (50).
    await send(carol, roomId, text("everyone!", { "m.mentions": { room: true } }));
    await send(alice, roomId, text("everyone!", { "m.mentions": { room: true } }));
    expect(await counts(bob, roomId)).toEqual({ notification_count: 3, highlight_count: 2 });
  });

  test("in a room of two every message notifies; in a muted room nothing does, in a mentions-only room only mentions", async () => {
    const dm = await room([bob], { preset: "trusted_private_chat", invite: [bob.id] });
    await send(alice, dm, text("hi"));
    expect(await counts(bob, dm)).toEqual({ notification_count: 1, highlight_count: 0 });

    const muted = await room([carol]);
    await carol.call("PUT", `/pushrules/global/override/${enc(muted)}`, { conditions: [{ kind: "event_match", key: "room_id", pattern: muted }], actions: [] });
    await send(alice, muted, text("shh", { "m.mentions": { user_ids: [carol.id] } }));
    expect(await counts(carol, muted)).toEqual({ notification_count: 0, highlight_count: 0 });

    const quiet = await room([carol]);
    await carol.call("PUT", `/pushrules/global/room/${enc(quiet)}`, { actions: [] });
    await send(alice, quiet, text("chatter"));
    await send(alice, quiet, text("carol!", { "m.mentions": { user_ids: [carol.id] } }));
    expect(await counts(carol, quiet)).toEqual({ notification_count: 1, highlight_count: 1 });
  });

  test("a keyword rule highlights in the body's words only", async () => {
    const roomId = await room([carol]);
    await carol.call("PUT", "/pushrules/global/content/lunch", { pattern: "lunch", actions: ["notify", { set_tweak: "highlight" }] });
    await send(alice, roomId, text("Lunch at noon?"));
    await send(alice, roomId, text("lunchbox"));
    expect(await counts(carol, roomId)).toEqual({ notification_count: 2, highlight_count: 1 });
    await carol.call("DELETE", "/pushrules/global/content/lunch");
  });
});

describe("what clears", () => {
  test("a receipt clears up to its event; later events stay unread", async () => {
    const roomId = await room();
    const first = await send(alice, roomId, text("1"));
    const second = await send(alice, roomId, text("2", { "m.mentions": { user_ids: [bob.id] } }));
    await send(alice, roomId, text("3"));
    expect(await counts(bob, roomId)).toEqual({ notification_count: 3, highlight_count: 1 });
    await receipt(bob, roomId, first);
    expect(await counts(bob, roomId)).toEqual({ notification_count: 2, highlight_count: 1 });
    await receipt(bob, roomId, second, "m.read.private");
    expect(await counts(bob, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });
  });

  test("the furthest of m.read and m.read.private decides (the spec's A B C D example)", async () => {
    const roomId = await room();
    const [a, b, c, d] = [await send(alice, roomId, text("A")), await send(alice, roomId, text("B")), await send(alice, roomId, text("C")), await send(alice, roomId, text("D"))];
    await receipt(bob, roomId, c, "m.read");
    await receipt(bob, roomId, a, "m.read.private");
    expect((await counts(bob, roomId)).notification_count).toBe(1);
    await receipt(bob, roomId, b, "m.read.private");
    expect((await counts(bob, roomId)).notification_count).toBe(1);
    await receipt(bob, roomId, d, "m.read.private");
    expect((await counts(bob, roomId)).notification_count).toBe(0);
  });

  test("sending an event marks everything before it read (and an older receipt later does not undo that)", async () => {
    const roomId = await room();
    const first = await send(alice, roomId, text("1"));
    await send(alice, roomId, text("2"));
    await send(bob, roomId, text("my reply"));
    expect((await counts(bob, roomId)).notification_count).toBe(0);
    await send(alice, roomId, text("3"));
    await receipt(bob, roomId, first);
    expect((await counts(bob, roomId)).notification_count).toBe(1);
  });

  test("a count cleared by a receipt appears in the next incremental sync, with the receipt", async () => {
    const roomId = await room();
    const last = await send(alice, roomId, text("x"));
    const sync = syncClient(bob.call);
    expect((await sync.next()).rooms.join[roomId]!.unread_notifications.notification_count).toBe(1);
    await receipt(bob, roomId, last);
    const next = await sync.next({ timeout: "5000" });
    expect(next.rooms.join[roomId]!.unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 });
  });

  test("leaving drops the counts; rejoining starts from the join", async () => {
    const roomId = await room();
    await send(alice, roomId, text("before"));
    await bob.call("POST", `/rooms/${enc(roomId)}/leave`, {});
    await send(alice, roomId, text("while away"));
    await bob.call("POST", `/join/${enc(roomId)}`, {});
    expect((await counts(bob, roomId)).notification_count).toBe(0);
    await send(alice, roomId, text("after"));
    expect((await counts(bob, roomId)).notification_count).toBe(1);
  });
});

describe("threads", () => {
  const threaded = { room: { timeline: { unread_thread_notifications: true } } };
  const inThread = (root: string, body: string, extra: Record<string, unknown> = {}) =>
    text(body, { "m.relates_to": { rel_type: "m.thread", event_id: root, is_falling_back: true, "m.in_reply_to": { event_id: root } }, ...extra });

  test("with unread_thread_notifications, thread replies count in their thread; without, in the room", async () => {
    const roomId = await room();
    const root = await send(alice, roomId, text("root"));
    await send(alice, roomId, inThread(root, "reply 1"));
    await send(alice, roomId, inThread(root, "reply 2", { "m.mentions": { user_ids: [bob.id] } }));
    const split = await countsOf(bob, roomId, threaded);
    expect(split.main).toEqual({ notification_count: 1, highlight_count: 0 });
    expect(split.threads).toEqual({ [root]: { notification_count: 2, highlight_count: 1 } });
    expect(await counts(bob, roomId)).toEqual({ notification_count: 3, highlight_count: 1 });
  });

  test("a reaction to a thread reply belongs to the thread (relations are followed)", async () => {
    const roomId = await room();
    await bob.call("PUT", "/pushrules/global/override/reactions", { conditions: [{ kind: "event_match", key: "type", pattern: "m.reaction" }], actions: ["notify"] });
    const root = await send(alice, roomId, text("root"));
    const reply = await send(alice, roomId, inThread(root, "reply"));
    await send(alice, roomId, { "m.relates_to": { rel_type: "m.annotation", event_id: reply, key: "👍" } }, "m.reaction");
    expect((await countsOf(bob, roomId, threaded)).threads).toEqual({ [root]: { notification_count: 2, highlight_count: 0 } });
    await bob.call("DELETE", "/pushrules/global/override/reactions");
  });

  test("a threaded receipt clears only its thread; an unthreaded one clears every thread", async () => {
    const roomId = await room();
    const root = await send(alice, roomId, text("root"));
    const reply = await send(alice, roomId, inThread(root, "reply"));
    await send(alice, roomId, text("main again"));
    await receipt(bob, roomId, reply, "m.read", { thread_id: root });
    let split = await countsOf(bob, roomId, threaded);
    expect(split.main.notification_count).toBe(2);
    expect(split.threads).toBeUndefined();
    await receipt(bob, roomId, root, "m.read", { thread_id: "main" });
    expect((await countsOf(bob, roomId, threaded)).main.notification_count).toBe(1);
    const later = await send(alice, roomId, inThread(root, "reply 2"));
    expect((await countsOf(bob, roomId, threaded)).threads).toEqual({ [root]: { notification_count: 1, highlight_count: 0 } });
    await receipt(bob, roomId, later);
    split = await countsOf(bob, roomId, threaded);
    expect(split.main.notification_count).toBe(0);
    expect(split.threads).toBeUndefined();
  });
});
