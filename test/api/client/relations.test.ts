// Event relationships over HTTP (spec "Event relationships", "Threading"): /relations with its
// filters, directions, tokens and recursion, /threads, the aggregations bundled in
// unsigned.m.relations wherever events are served, redactions of relations, history visibility,
// and the RoomEventFilter's related_by_* on /messages.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, expectError } from "../../helpers/client";
import type { TestServer } from "../../helpers/server";
import type { SyncBody } from "../../helpers/sync";
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
let txn = 0;

interface Served {
  event_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  unsigned?: { "m.relations"?: Record<string, unknown> } & Record<string, unknown>;
}
interface Page {
  chunk: Served[];
  next_batch?: string;
  prev_batch?: string;
  recursion_depth?: number;
}

const room = (members: TestUser[] = [bob], body?: Record<string, unknown>) => roomOf(alice, members, body);
const send = sendAs;

async function redact(who: TestUser, roomId: string, eventId: string): Promise<void> {
  expect((await who.call("PUT", `/rooms/${enc(roomId)}/redact/${enc(eventId)}/r${++txn}`, {})).status).toBe(200);
}

const text = (body: string, extra: Record<string, unknown> = {}) => ({ msgtype: "m.text", body, ...extra });
const inThread = (root: string, body: string) =>
  text(body, { "m.relates_to": { rel_type: "m.thread", event_id: root, is_falling_back: true, "m.in_reply_to": { event_id: root } } });
const edit = (original: string, body: string) =>
  text(`* ${body}`, { "m.new_content": text(body), "m.relates_to": { rel_type: "m.replace", event_id: original } });
const reaction = (target: string, key: string) => ({ "m.relates_to": { rel_type: "m.annotation", event_id: target, key } });
const reference = (target: string) => text("see above", { "m.relates_to": { rel_type: "m.reference", event_id: target } });

function v1<T = Page>(who: TestUser, path: string, query: Record<string, string> = {}) {
  const qs = new URLSearchParams(query).toString();
  return api<T & { errcode?: string }>(server.baseUrl, "GET", `/_matrix/client/v1${path}${qs ? `?${qs}` : ""}`, { token: who.session.access_token });
}

const relationsPath = (roomId: string, eventId: string, ...rest: string[]) =>
  [`/rooms/${enc(roomId)}/relations/${enc(eventId)}`, ...rest.map(enc)].join("/");
const ids = (page: Page) => page.chunk.map((e) => e.event_id);
const bundled = (e: Served | undefined) => e?.unsigned?.["m.relations"] as Record<string, Record<string, unknown>> | undefined;

async function getEvent(who: TestUser, roomId: string, eventId: string): Promise<Served> {
  const res = await who.call<Served>("GET", `/rooms/${enc(roomId)}/event/${enc(eventId)}`);
  expect(res.status).toBe(200);
  return res.body;
}

describe("/relations", () => {
  test("lists an event's children newest first, narrowed by relation type and by event type", async () => {
    const roomId = await room();
    const root = await send(alice, roomId, text("root"));
    const r1 = await send(bob, roomId, inThread(root, "one"));
    const like = await send(bob, roomId, reaction(root, "👍"), "m.reaction");
    const r2 = await send(alice, roomId, inThread(root, "two"));
    await send(alice, roomId, text("unrelated"));

    const all = await v1(alice, relationsPath(roomId, root));
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual([r2, like, r1]);
    expect(all.body.next_batch).toBeUndefined();
    expect(all.body.recursion_depth).toBeUndefined();
    expect(ids((await v1(alice, relationsPath(roomId, root, "m.thread"))).body)).toEqual([r2, r1]);
    expect(ids((await v1(alice, relationsPath(roomId, root, "m.annotation", "m.reaction"))).body)).toEqual([like]);
    expect(ids((await v1(alice, relationsPath(roomId, root, "m.annotation", "m.room.message"))).body)).toEqual([]);
  });

  test("pages with limit and next_batch in both directions, and stops at `to`", async () => {
    const roomId = await room();
    const root = await send(alice, roomId, text("root"));
    const replies: string[] = [];
    for (let i = 0; i < 5; i++) replies.push(await send(bob, roomId, inThread(root, `reply ${i}`)));

    const first = await v1(alice, relationsPath(roomId, root, "m.thread"), { limit: "2" });
    expect(ids(first.body)).toEqual([replies[4]!, replies[3]!]);
    const second = await v1(alice, relationsPath(roomId, root, "m.thread"), { limit: "2", from: first.body.next_batch! });
    expect(ids(second.body)).toEqual([replies[2]!, replies[1]!]);
    expect(second.body.prev_batch).toBe(first.body.next_batch!);
    const third = await v1(alice, relationsPath(roomId, root, "m.thread"), { limit: "2", from: second.body.next_batch! });
    expect(ids(third.body)).toEqual([replies[0]!]);
    expect(third.body.next_batch).toBeUndefined();

    const forwards = await v1(alice, relationsPath(roomId, root), { dir: "f", limit: "3" });
    expect(ids(forwards.body)).toEqual(replies.slice(0, 3));
    const rest = await v1(alice, relationsPath(roomId, root), { dir: "f", from: forwards.body.next_batch! });
    expect(ids(rest.body)).toEqual(replies.slice(3));

    // `to` is a /messages token: stop before the replies older than it.
    const upTo = await v1(alice, relationsPath(roomId, root), { to: first.body.next_batch! });
    expect(ids(upTo.body)).toEqual([replies[4]!, replies[3]!]);
  });

  test("recurse follows relations of relations; recursion_depth says how deep", async () => {
    const roomId = await room();
    const root = await send(alice, roomId, text("root"));
    const reply = await send(bob, roomId, inThread(root, "reply"));
    const like = await send(alice, roomId, reaction(reply, "🎉"), "m.reaction");
    const fix = await send(bob, roomId, edit(reply, "reply, fixed"));

    const flat = await v1(alice, relationsPath(roomId, root));
    expect(ids(flat.body)).toEqual([reply]);
    const deep = await v1(alice, relationsPath(roomId, root), { recurse: "true" });
    expect(ids(deep.body)).toEqual([fix, like, reply]);
    expect(deep.body.recursion_depth).toBe(3);
    expect(ids((await v1(alice, relationsPath(roomId, root, "m.annotation"), { recurse: "true" })).body)).toEqual([like]);
    const off = await v1(alice, relationsPath(roomId, root), { recurse: "false" });
    expect(ids(off.body)).toEqual([reply]);
    expect(off.body.recursion_depth).toBe(1);
  });

  test("errors: an unknown or foreign event is 404, a non-member 403, a bad token or dir 400", async () => {
    const roomId = await room();
    const other = await room();
    const root = await send(alice, roomId, text("root"));
    const elsewhere = await send(alice, other, text("elsewhere"));
    expectError(await v1(alice, relationsPath(roomId, "$nope")), 404, "M_NOT_FOUND");
    expectError(await v1(alice, relationsPath(roomId, elsewhere)), 404, "M_NOT_FOUND");
    expectError(await v1(carol, relationsPath(roomId, root)), 403, "M_FORBIDDEN");
    expectError(await v1(alice, relationsPath(roomId, root), { from: "garbage" }), 400, "M_INVALID_PARAM");
    expect((await v1(alice, relationsPath(roomId, root), { dir: "sideways" })).status).toBe(400);
    expectError(await v1(alice, `/rooms/${enc(roomId)}/threads`, { from: "garbage" }), 400, "M_INVALID_PARAM");
  });

  test("history visibility: a parent from before the user joined is 404; children sent while away are left out", async () => {
    const roomId = await room([], { preset: "public_chat", initial_state: [{ type: "m.room.history_visibility", content: { history_visibility: "joined" } }] });
    const early = await send(alice, roomId, text("before carol"));
    const earlyReply = await send(alice, roomId, inThread(early, "also before"));
    expect((await carol.call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
    const lateReply = await send(alice, roomId, inThread(early, "after carol joined"));
    const late = await send(alice, roomId, text("after"));
    const seen = await send(alice, roomId, inThread(late, "seen"));
    expect((await carol.call("POST", `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    const unseen = await send(alice, roomId, inThread(late, "while carol was away"));
    expect((await carol.call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
    const back = await send(alice, roomId, inThread(late, "carol is back"));

    expectError(await v1(carol, relationsPath(roomId, early)), 404, "M_NOT_FOUND");
    expect(ids((await v1(alice, relationsPath(roomId, early))).body)).toEqual([lateReply, earlyReply]);
    expect(ids((await v1(alice, relationsPath(roomId, late))).body)).toEqual([back, unseen, seen]);
    expect(ids((await v1(carol, relationsPath(roomId, late))).body)).toEqual([back, seen]);
  });
});

test("/relations leaves out children from users the reader ignores", async () => {
  const roomId = await room([bob, carol]);
  const root = await send(alice, roomId, text("root"));
  const fromBob = await send(bob, roomId, inThread(root, "bob"));
  const fromCarol = await send(carol, roomId, inThread(root, "carol"));
  expect((await alice.call("PUT", `/user/${enc(alice.id)}/account_data/m.ignored_user_list`, { ignored_users: { [bob.id]: {} } })).status).toBe(200);
  expect(ids((await v1(alice, relationsPath(roomId, root))).body)).toEqual([fromCarol]);
  expect(ids((await v1(carol, relationsPath(roomId, root))).body)).toEqual([fromCarol, fromBob]);
  expect((await alice.call("PUT", `/user/${enc(alice.id)}/account_data/m.ignored_user_list`, { ignored_users: {} })).status).toBe(200);
});

describe("bundled aggregations", () => {
  test("m.thread: latest reply, count and participation, in /event, /messages, /context and /sync", async () => {
    const roomId = await room([bob, carol]);
    const root = await send(alice, roomId, text("root"));
    await send(bob, roomId, inThread(root, "one"));
    const latest = await send(bob, roomId, inThread(root, "two"));

    const thread = (e: Served | undefined) => bundled(e)?.["m.thread"] as { latest_event: Served; count: number; current_user_participated: boolean };
    const ofEvent = thread(await getEvent(carol, roomId, root));
    expect(ofEvent.count).toBe(2);
    expect(ofEvent.latest_event.event_id).toBe(latest);
    expect(ofEvent.latest_event.content.body).toBe("two");
    expect(ofEvent.current_user_participated).toBe(false);
    expect(thread(await getEvent(bob, roomId, root)).current_user_participated).toBe(true);
    expect(thread(await getEvent(alice, roomId, root)).current_user_participated).toBe(true);

    const page = await carol.call<{ chunk: Served[] }>("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=10`);
    expect(thread(page.body.chunk.find((e) => e.event_id === root))?.count).toBe(2);
    const context = await carol.call<{ event: Served; events_after: Served[] }>("GET", `/rooms/${enc(roomId)}/context/${enc(root)}?limit=4`);
    expect(thread(context.body.event).latest_event.event_id).toBe(latest);

    const sync = await carol.call<SyncBody>("GET", "/sync");
    const inSync = sync.body.rooms.join[roomId]!.timeline.events.find((e) => e.event_id === root) as Served | undefined;
    expect(thread(inSync).count).toBe(2);
    expect(thread(inSync).latest_event.event_id).toBe(latest);
  });

  test("m.replace: the latest valid edit by the sender is bundled, the original content stays", async () => {
    const roomId = await room([bob]);
    const original = await send(alice, roomId, text("helo"));
    await send(alice, roomId, edit(original, "hello"));
    const second = await send(alice, roomId, edit(original, "hello!"));
    await send(bob, roomId, edit(original, "bob was here"));
    await send(alice, roomId, { "m.relates_to": { rel_type: "m.replace", event_id: original }, body: "no new content" });

    const served = await getEvent(bob, roomId, original);
    expect(served.content.body).toBe("helo");
    const replace = bundled(served)?.["m.replace"] as unknown as Served;
    expect(replace.event_id).toBe(second);
    expect(replace.sender).toBe(alice.id);
    expect((replace.content["m.new_content"] as Record<string, unknown>).body).toBe("hello!");

    // A redacted edit falls back to the one before it; a redacted original bundles no edit.
    await redact(alice, roomId, second);
    const fallen = bundled(await getEvent(bob, roomId, original))?.["m.replace"] as unknown as Served;
    expect((fallen.content["m.new_content"] as Record<string, unknown>).body).toBe("hello");
    await redact(alice, roomId, original);
    expect(bundled(await getEvent(bob, roomId, original))?.["m.replace"]).toBeUndefined();
  });

  test("m.reference lists the referencing events; a thread's latest reply carries its own edit", async () => {
    const roomId = await room([bob]);
    const target = await send(alice, roomId, text("target"));
    const ref1 = await send(bob, roomId, reference(target));
    const ref2 = await send(alice, roomId, reference(target));
    expect(bundled(await getEvent(bob, roomId, target))?.["m.reference"]).toEqual({ chunk: [{ event_id: ref1 }, { event_id: ref2 }] });

    const root = await send(alice, roomId, text("root"));
    const reply = await send(bob, roomId, inThread(root, "typo"));
    const fix = await send(bob, roomId, edit(reply, "fixed"));
    const latest = (bundled(await getEvent(alice, roomId, root))?.["m.thread"] as { latest_event: Served }).latest_event;
    expect(latest.event_id).toBe(reply);
    expect((bundled(latest)?.["m.replace"] as unknown as Served).event_id).toBe(fix);
  });

  test("a redacted thread reply leaves its thread: the count drops and the latest falls back", async () => {
    const roomId = await room([bob]);
    const root = await send(alice, roomId, text("root"));
    const first = await send(bob, roomId, inThread(root, "first"));
    const second = await send(bob, roomId, inThread(root, "second"));
    await redact(bob, roomId, second);
    const thread = bundled(await getEvent(alice, roomId, root))?.["m.thread"] as { latest_event: Served; count: number };
    expect(thread.count).toBe(1);
    expect(thread.latest_event.event_id).toBe(first);
    expect(ids((await v1(alice, relationsPath(roomId, root))).body)).toEqual([first]);
    await redact(bob, roomId, first);
    expect(bundled(await getEvent(alice, roomId, root))?.["m.thread"]).toBeUndefined();
    expect(ids((await v1(alice, `/rooms/${enc(roomId)}/threads`)).body)).toEqual([]);
  });
});

describe("sending into threads", () => {
  test("a thread cannot start off an event that relates to another: 400 M_UNKNOWN, nothing sent", async () => {
    const roomId = await room([bob]);
    const root = await send(alice, roomId, text("root"));
    const reply = await send(bob, roomId, inThread(root, "reply"));
    const like = await send(bob, roomId, reaction(root, "👀"), "m.reaction");
    for (const target of [reply, like]) {
      const res = await bob.call("PUT", `/rooms/${enc(roomId)}/send/m.room.message/nested-${target.slice(1, 9)}`, inThread(target, "nested"));
      expectError(res, 400, "M_UNKNOWN");
    }
    expect(ids((await v1(alice, relationsPath(roomId, reply))).body)).toEqual([]);
    // A reply in an existing thread still names the root.
    await send(alice, roomId, inThread(root, "fine"));
    expect(ids((await v1(alice, relationsPath(roomId, root, "m.thread"))).body)).toHaveLength(2);
  });
});

describe("/threads", () => {
  test("lists thread roots by latest activity with their aggregation; include=participated; pages", async () => {
    const roomId = await room([bob, carol]);
    const a = await send(alice, roomId, text("thread a"));
    const b = await send(bob, roomId, text("thread b"));
    const c = await send(carol, roomId, text("thread c"));
    await send(alice, roomId, text("no thread"));
    await send(bob, roomId, inThread(a, "a1"));
    await send(carol, roomId, inThread(c, "c1"));
    await send(carol, roomId, inThread(b, "b1"));
    await send(alice, roomId, inThread(a, "a2"));

    const all = await v1(bob, `/rooms/${enc(roomId)}/threads`);
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual([a, b, c]);
    expect((bundled(all.body.chunk[0])?.["m.thread"] as { count: number }).count).toBe(2);
    expect(ids((await v1(bob, `/rooms/${enc(roomId)}/threads`, { include: "participated" })).body)).toEqual([a, b]);
    expect(ids((await v1(carol, `/rooms/${enc(roomId)}/threads`, { include: "participated" })).body)).toEqual([b, c]);

    const first = await v1(bob, `/rooms/${enc(roomId)}/threads`, { limit: "2" });
    expect(ids(first.body)).toEqual([a, b]);
    const rest = await v1(bob, `/rooms/${enc(roomId)}/threads`, { limit: "2", from: first.body.next_batch! });
    expect(ids(rest.body)).toEqual([c]);
    expect(rest.body.next_batch).toBeUndefined();
    expectError(await v1(carol, `/rooms/${enc(await room([]))}/threads`), 403, "M_FORBIDDEN");
  });
});

describe("related_by filters on /messages", () => {
  test("related_by_rel_types and related_by_senders keep events a matching relation points at (/messages and /sync)", async () => {
    const roomId = await room([bob]);
    const threaded = await send(alice, roomId, text("threaded"));
    const liked = await send(alice, roomId, text("liked"));
    await send(alice, roomId, text("plain"));
    await send(bob, roomId, inThread(threaded, "reply"));
    await send(alice, roomId, reaction(liked, "❤️"), "m.reaction");

    const filtered = async (filter: Record<string, unknown>) => {
      const res = await alice.call<{ chunk: Served[] }>("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=50&filter=${enc(JSON.stringify(filter))}`);
      expect(res.status).toBe(200);
      return res.body.chunk.map((e) => e.event_id);
    };
    expect(await filtered({ related_by_rel_types: ["m.thread"] })).toEqual([threaded]);
    expect(await filtered({ related_by_rel_types: ["m.thread", "m.annotation"] })).toEqual([liked, threaded]);
    expect(await filtered({ related_by_senders: [alice.id] })).toEqual([liked]);
    expect(await filtered({ related_by_rel_types: ["m.thread"], related_by_senders: [alice.id] })).toEqual([]);
    const bad = await alice.call("GET", `/rooms/${enc(roomId)}/messages?filter=${enc(JSON.stringify({ related_by_senders: ["bob"] }))}`);
    expectError(bad, 400, "M_INVALID_PARAM");

    // The same filter as a /sync timeline filter.
    const sync = await alice.call<SyncBody>("GET", `/sync?filter=${enc(JSON.stringify({ room: { timeline: { limit: 50, related_by_rel_types: ["m.thread"] } } }))}`);
    expect(sync.body.rooms.join[roomId]!.timeline.events.map((e) => e.event_id)).toEqual([threaded]);
  });
});
