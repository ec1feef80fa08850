// Simplified sliding sync (MSC4186) over HTTP, on the path Element X calls and on the merged v4
// path: lists (ranges, ordering by bump_stamp, filters), subscriptions, each room field as a first
// send and as a delta, invites, pos handling (unknown, foreign, retried, after a restart),
// long-polls woken by the notifier, extensions scoped to lists and rooms, and bad input.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectError, loginUser } from "../../helpers/client";
import { asUser } from "../../helpers/as-user";
import { startServer, type TestServer } from "../../helpers/server";
import { slidingConnection, type SlidingBody, unstablePath } from "../../helpers/sliding-sync";
import { addUser, type TestUser } from "../../helpers/users";
import { api } from "../../helpers/client";
import { testDevice } from "../../helpers/e2ee-keys";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ log: "debug" });
});
afterAll(() => server.stop());

const enc = encodeURIComponent;
let txn = 0;
let userCount = 0;
const user = (name: string) => addUser(server, `${name}${++userCount}`);

async function createRoom(who: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  const res = await who.call<{ room_id: string }>("POST", "/createRoom", body);
  expect(res.status).toBe(200);
  return res.body.room_id;
}
async function send(who: TestUser, roomId: string, body: string, extra: Record<string, unknown> = {}, type = "m.room.message"): Promise<string> {
  const res = await who.call<{ event_id: string }>("PUT", `/rooms/${enc(roomId)}/send/${type}/s${++txn}`, { msgtype: "m.text", body, ...extra });
  expect(res.status).toBe(200);
  return res.body.event_id;
}
async function setState(who: TestUser, roomId: string, type: string, content: Record<string, unknown>, stateKey = "") {
  const res = await who.call<{ event_id: string }>("PUT", `/rooms/${enc(roomId)}/state/${type}/${enc(stateKey)}`, content);
  expect(res.status).toBe(200);
  return res.body.event_id;
}
async function join(who: TestUser, roomId: string) {
  expect((await who.call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
}

/** Element X's room list request, trimmed to what a test names. */
const elementList = (range: [number, number] = [0, 19], extra: Record<string, unknown> = {}) => ({
  ranges: [range],
  timeline_limit: 1,
  required_state: [["m.room.name", ""], ["m.room.avatar", ""], ["m.room.member", "$LAZY"], ["m.room.member", "$ME"], ["m.room.create", ""]],
  ...extra,
});
const ids = (body: SlidingBody) => Object.keys(body.rooms).sort();
const texts = (events: { type: string; content: Record<string, unknown> }[] | undefined) =>
  (events ?? []).filter((e) => e.type === "m.room.message").map((e) => e.content.body);

describe("lists", () => {
  test("the versions answer names the feature", async () => {
    const res = await api<{ unstable_features: Record<string, boolean> }>(server.baseUrl, "GET", "/_matrix/client/versions");
    expect(res.body.unstable_features["org.matrix.simplified_msc3575"]).toBe(true);
  });

  test("rooms are ordered by bump_stamp: messages bump, state events do not; the range picks the top; count is the whole list", async () => {
    const alice = await user("alice");
    const a = await createRoom(alice, { name: "A" });
    const b = await createRoom(alice, { name: "B" });
    const c = await createRoom(alice, { name: "C" });
    await send(alice, a, "bump a");
    await setState(alice, b, "m.room.topic", { topic: "not a bump" });
    const conn = slidingConnection(server, alice.session);
    const first = await conn.sync({ lists: { all: elementList([0, 1]) } });
    expect(first.lists.all!.count).toBe(3);
    // A was bumped by its message; C is the newest creation; B's topic does not count.
    expect(ids(first)).toEqual([a, c].sort());
    expect(first.rooms[a]!.bump_stamp!).toBeGreaterThan(first.rooms[c]!.bump_stamp!);
    expect(first.rooms[a]!.lists).toEqual(["all"]);
    // Growing the range sends only the room not sent yet.
    const grown = await conn.sync({ lists: { all: elementList([0, 9]) } });
    expect(ids(grown)).toEqual([b]);
    expect(grown.rooms[b]!.initial).toBe(true);
  });

  test("a room's first send: name, avatar, membership, counts, required_state with $ME and $LAZY, timeline with limited and prev_batch", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const carol = await user("carol");
    const roomId = await createRoom(alice, { name: "Garden", preset: "public_chat" });
    await setState(alice, roomId, "m.room.avatar", { url: "mxc://localhost/garden" });
    await join(bob, roomId);
    expect((await alice.call("POST", `/rooms/${enc(roomId)}/invite`, { user_id: carol.id })).status).toBe(200);
    await send(bob, roomId, "one");
    await send(bob, roomId, "two");
    await send(bob, roomId, "three");
    const res = await slidingConnection(server, alice.session).sync({ lists: { all: elementList([0, 0], { timeline_limit: 2 }) } });
    const room = res.rooms[roomId]!;
    expect(room.initial).toBe(true);
    expect(room.membership).toBe("join");
    expect(room.name).toBe("Garden");
    expect(room.avatar).toBe("mxc://localhost/garden");
    expect(room.heroes).toBeUndefined();
    expect(room.joined_count).toBe(2);
    expect(room.invited_count).toBe(1);
    expect(texts(room.timeline)).toEqual(["two", "three"]);
    expect(room.limited).toBe(true);
    expect(room.num_live).toBe(0);
    // $ME is alice's membership; $LAZY brings the timeline's senders (bob), no other member.
    const members = room.required_state!.filter((e) => e.type === "m.room.member").map((e) => e.state_key).sort();
    expect(members).toEqual([alice.id, bob.id].sort());
    expect(room.required_state!.some((e) => e.type === "m.room.create")).toBe(true);
    expect(room.required_state!.some((e) => e.type === "m.room.join_rules")).toBe(false);
    // prev_batch continues backwards with /messages.
    const older = await alice.call<{ chunk: { type: string; content: Record<string, unknown> }[] }>("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=1&from=${enc(room.prev_batch!)}`);
    expect(texts(older.body.chunk)).toEqual(["one"]);
  });

  test("an unnamed room has heroes (joined and invited first) with their display names", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await createRoom(alice, { invite: [bob.id] });
    const room = (await slidingConnection(server, alice.session).sync({ lists: { all: elementList() } })).rooms[roomId]!;
    expect(room.name).toBeUndefined();
    expect(room.heroes).toEqual([{ user_id: bob.id, displayname: bob.id.slice(1).split(":")[0]! }]);
  });

  test("later requests carry only what changed: new events with num_live, changed state, a removed name as null, unchanged rooms not at all", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const quiet = await createRoom(alice, { name: "Quiet" });
    const busy = await createRoom(alice, { name: "Busy", preset: "public_chat" });
    await join(bob, busy);
    const conn = slidingConnection(server, alice.session);
    const list = { all: elementList([0, 9], { timeline_limit: 5 }) };
    await conn.sync({ lists: list });
    await send(bob, busy, "news");
    await setState(alice, busy, "m.room.name", {});
    const next = await conn.sync({ lists: list });
    expect(ids(next)).toEqual([busy]);
    const room = next.rooms[busy]!;
    expect(room.initial).toBeUndefined();
    expect(room.name).toBeNull();
    expect(room.num_live).toBe(2);
    expect(room.limited).toBeUndefined();
    expect(texts(room.timeline)).toEqual(["news"]);
    expect(room.required_state!.map((e) => e.type)).toEqual(["m.room.name"]);
    expect(room.heroes!.map((h) => h.user_id)).toEqual([bob.id]);
    expect(room.joined_count).toBeUndefined();
    expect(next.rooms[quiet]).toBeUndefined();
  });

  test("notification and highlight counts are the stored counters, and a read receipt clears them in the next response", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    await send(alice, roomId, "hello");
    const last = await send(alice, roomId, `hey ${bob.id}`, { "m.mentions": { user_ids: [bob.id] } });
    const conn = slidingConnection(server, bob.session);
    const list = { all: elementList() };
    const first = (await conn.sync({ lists: list })).rooms[roomId]!;
    expect([first.notification_count, first.highlight_count]).toEqual([2, 1]);
    expect((await bob.call("POST", `/rooms/${enc(roomId)}/receipt/m.read/${enc(last)}`, {})).status).toBe(200);
    const read = (await conn.sync({ lists: list })).rooms[roomId]!;
    expect([read.notification_count, read.highlight_count]).toEqual([0, 0]);
    expect(read.timeline).toBeUndefined();
  });

  test("filters: is_invite, is_dm, not_room_types and room_types, spaces, is_encrypted, tags", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const plain = await createRoom(bob);
    const invited = await createRoom(alice, { invite: [bob.id] });
    const dm = await createRoom(alice, { invite: [bob.id], is_direct: true });
    await join(bob, dm);
    expect((await bob.call("PUT", `/user/${enc(bob.id)}/account_data/m.direct`, { [alice.id]: [dm] })).status).toBe(200);
    const space = await createRoom(bob, { creation_content: { type: "m.space" } });
    await setState(bob, space, "m.space.child", { via: ["localhost"] }, plain);
    const encrypted = await createRoom(bob, { initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }] });
    expect((await bob.call("PUT", `/user/${enc(bob.id)}/rooms/${enc(encrypted)}/tags/m.favourite`, { order: 0.5 })).status).toBe(200);
    const list = (filters: Record<string, unknown>) => ({ ranges: [[0, 99]], timeline_limit: 0, required_state: [], filters });
    const res = await slidingConnection(server, bob.session).sync({
      lists: {
        invites: list({ is_invite: true }),
        joined: list({ is_invite: false }),
        dms: list({ is_dm: true }),
        spaces: list({ room_types: ["m.space"] }),
        rooms: list({ not_room_types: ["m.space"], is_invite: false }),
        inSpace: list({ spaces: [space] }),
        encrypted: list({ is_encrypted: true }),
        favourites: list({ tags: ["m.favourite"] }),
        notFavourites: list({ not_tags: ["m.favourite"], is_invite: false }),
      },
    });
    const inList = (name: string) => Object.entries(res.rooms).filter(([, r]) => r.lists?.includes(name)).map(([id]) => id).sort();
    expect(inList("invites")).toEqual([invited]);
    expect(inList("joined")).toEqual([plain, dm, space, encrypted].sort());
    expect(inList("dms")).toEqual([dm]);
    expect(inList("spaces")).toEqual([space]);
    expect(inList("rooms")).toEqual([plain, dm, encrypted].sort());
    expect(inList("inSpace")).toEqual([plain]);
    expect(inList("encrypted")).toEqual([encrypted]);
    expect(inList("favourites")).toEqual([encrypted]);
    expect(inList("notFavourites")).toEqual([plain, dm, space].sort());
    expect(res.rooms[dm]!.is_dm).toBe(true);
    expect(res.rooms[plain]!.is_dm).toBeUndefined();
    expect(res.lists.invites!.count).toBe(1);
  });
});

describe("invites and subscriptions", () => {
  test("an invite carries invite_state; accepting it sends the room again as initial with its timeline", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const conn = slidingConnection(server, bob.session);
    const list = { all: elementList([0, 9], { timeline_limit: 3 }) };
    await conn.sync({ lists: list });
    const roomId = await createRoom(alice, { name: "Party", invite: [bob.id] });
    const invite = (await conn.sync({ lists: list })).rooms[roomId]!;
    expect(invite.membership).toBe("invite");
    expect(invite.initial).toBe(true);
    const stripped = invite.invite_state!;
    expect(stripped.find((e) => e.type === "m.room.name")!.content).toEqual({ name: "Party" });
    expect(stripped.find((e) => e.type === "m.room.member" && e.state_key === bob.id)!.content.membership).toBe("invite");
    expect(invite.timeline).toBeUndefined();
    await join(bob, roomId);
    const joined = (await conn.sync({ lists: list })).rooms[roomId]!;
    expect(joined.initial).toBe(true);
    expect(joined.membership).toBe("join");
    expect(joined.name).toBe("Party");
    expect(joined.timeline!.at(-1)!.sender).toBe(bob.id);
  });

  test("a subscription sends a room outside the lists' ranges with its own config; a room the user was never in is ignored", async () => {
    const alice = await user("alice");
    const stranger = await user("stranger");
    const old = await createRoom(alice, { name: "Old" });
    await send(alice, old, "old news");
    await createRoom(alice, { name: "New" });
    const foreign = await createRoom(stranger, { preset: "public_chat" });
    const res = await slidingConnection(server, alice.session).sync({
      lists: { top: elementList([0, 0]) },
      room_subscriptions: {
        [old]: { timeline_limit: 5, required_state: [["m.room.name", ""]] },
        [foreign]: { timeline_limit: 5, required_state: [["*", "*"]] },
        "!missing:localhost": { timeline_limit: 1, required_state: [] },
      },
    });
    expect(res.rooms[old]!.lists).toBeUndefined();
    expect(texts(res.rooms[old]!.timeline)).toEqual(["old news"]);
    expect(res.rooms[foreign]).toBeUndefined();
    expect(Object.keys(res.rooms)).toHaveLength(2);
  });

  test("a larger timeline_limit sends earlier events again, flagged as an expanded timeline; required_state newly asked for comes too", async () => {
    const alice = await user("alice");
    const roomId = await createRoom(alice, { name: "Long", topic: "about" });
    for (const n of ["a", "b", "c"]) await send(alice, roomId, n);
    const conn = slidingConnection(server, alice.session);
    await conn.sync({ lists: { all: elementList([0, 0]) } });
    const wider = await conn.sync({ lists: { all: elementList([0, 0], { timeline_limit: 3, required_state: [["m.room.topic", ""]] }) } });
    const room = wider.rooms[roomId]!;
    expect(texts(room.timeline)).toEqual(["a", "b", "c"]);
    expect(room.unstable_expanded_timeline).toBe(true);
    expect(room.initial).toBeUndefined();
    expect(room.required_state!.map((e) => e.type)).toEqual(["m.room.topic"]);
  });
  test("an ignored user's messages stay out of timelines and their invites out of the lists", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    expect((await alice.call("PUT", `/user/${enc(alice.id)}/account_data/m.ignored_user_list`, { ignored_users: { [bob.id]: {} } })).status).toBe(200);
    await send(bob, roomId, "hidden");
    await send(alice, roomId, "shown");
    const invite = await createRoom(bob, { invite: [alice.id] });
    const res = await slidingConnection(server, alice.session).sync({ lists: { all: elementList([0, 9], { timeline_limit: 5 }) } });
    expect(texts(res.rooms[roomId]!.timeline)).toEqual(["shown"]);
    expect(res.rooms[invite]).toBeUndefined();
    expect(res.lists.all!.count).toBe(1);
  });
});

describe("pos", () => {
  test("an unknown pos, or another device's, is M_UNKNOWN_POS with 400; a retried pos answers the same again", async () => {
    const alice = await user("alice");
    const roomId = await createRoom(alice);
    const conn = slidingConnection(server, alice.session);
    const list = { all: elementList() };
    await conn.sync({ conn_id: "main", lists: list });
    expectError(await conn.raw({ conn_id: "main", lists: list }, { pos: "999999_1" }), 400, "M_UNKNOWN_POS");
    expectError(await conn.raw({ conn_id: "main", lists: list }, { pos: "nonsense" }), 400, "M_UNKNOWN_POS");
    expectError(await conn.raw({ conn_id: "other", lists: list }), 400, "M_UNKNOWN_POS");
    const phone = await loginUser(server.baseUrl, alice.id.slice(1).split(":")[0]!, undefined, { device_id: "PHONE" });
    expectError(await slidingConnection(server, phone).raw({ conn_id: "main", lists: list }, { pos: conn.pos! }), 400, "M_UNKNOWN_POS");

    const acknowledged = conn.pos!;
    await send(alice, roomId, "once");
    const first = await conn.sync({ conn_id: "main", lists: list });
    // The client never processed that answer: the same pos gets the same news again.
    const retry = await conn.sync({ conn_id: "main", lists: list }, { pos: acknowledged });
    expect(texts(retry.rooms[roomId]!.timeline)).toEqual(texts(first.rooms[roomId]!.timeline));
    expect(texts(retry.rooms[roomId]!.timeline)).toEqual(["once"]);
    // Starting the connection again (no pos) forgets what it was sent: every room is initial.
    const fresh = await conn.sync({ conn_id: "main", lists: list }, { pos: null });
    expect(fresh.rooms[roomId]!.initial).toBe(true);
    expectError(await conn.raw({ conn_id: "main", lists: list }, { pos: retry.pos }), 400, "M_UNKNOWN_POS");
  });

  test("a long-poll waits for news and wakes for a message; with none it answers at its timeout with the same pos", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    const conn = slidingConnection(server, alice.session);
    const list = { all: elementList() };
    await conn.sync({ lists: list });
    const parked = server.nextLine((l) => l.includes("sliding sync waits for news") && l.includes(alice.id));
    const waiting = conn.sync({ lists: list }, { timeout: 20_000 });
    await parked;
    await send(bob, roomId, "wake up");
    expect(texts((await waiting).rooms[roomId]!.timeline)).toEqual(["wake up"]);
    const before = conn.pos;
    const idle = await conn.sync({ lists: list }, { timeout: 50 });
    expect(idle.pos).toBe(before!);
    expect(idle.rooms).toEqual({});
  });
});

describe("extensions", () => {
  test("to_device with its own since; e2ee with key counts and device list changes", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await createRoom(alice, { preset: "public_chat" });
    await join(bob, roomId);
    const ext = { to_device: { enabled: true }, e2ee: { enabled: true } };
    const conn = slidingConnection(server, alice.session);
    const first = await conn.sync({ conn_id: "encryption", extensions: ext });
    expect(first.extensions.e2ee!.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    const since = first.extensions.to_device!.next_batch;
    expect((await bob.call("PUT", `/sendToDevice/m.test/d${++txn}`, { messages: { [alice.id]: { [alice.session.device_id]: { n: 1 } } } })).status).toBe(200);
    const mine = testDevice(alice.id, alice.session.device_id);
    expect((await alice.call("POST", "/keys/upload", { one_time_keys: mine.oneTimeKeys(1), fallback_keys: mine.fallbackKey() })).status).toBe(200);
    const phone = await loginUser(server.baseUrl, bob.id.slice(1).split(":")[0]!, undefined, { device_id: "NEWPHONE" });
    expect((await asUser(server.baseUrl, phone)("POST", "/keys/upload", { device_keys: testDevice(bob.id, "NEWPHONE").deviceKeys() })).status).toBe(200);
    const next = await conn.sync({ conn_id: "encryption", extensions: { ...ext, to_device: { enabled: true, since } } });
    expect(next.extensions.to_device!.events).toEqual([{ sender: bob.id, type: "m.test", content: { n: 1 } }]);
    expect(next.extensions.e2ee!.device_lists!.changed).toContain(bob.id);
    expect(next.extensions.e2ee!.device_one_time_keys_count).toEqual({ signed_curve25519: 1 });
    expect(next.extensions.e2ee!.device_unused_fallback_key_types).toEqual(["signed_curve25519"]);
    // Acknowledged by the next since: not delivered again.
    const after = await conn.sync({ conn_id: "encryption", extensions: { ...ext, to_device: { enabled: true, since: next.extensions.to_device!.next_batch } } });
    expect(after.extensions.to_device!.events).toEqual([]);
  });

  test("account_data, receipts and typing only for the lists and rooms the extension names", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const inList = await createRoom(alice, { preset: "public_chat" });
    const outside = await createRoom(alice, { preset: "public_chat" });
    const subscribed = await createRoom(alice, { preset: "public_chat" });
    for (const r of [inList, outside, subscribed]) await join(bob, r);
    const ev = { in: await send(bob, inList, "x"), out: await send(bob, outside, "y"), sub: await send(bob, subscribed, "z") };
    for (const [r, e] of [[inList, ev.in], [outside, ev.out], [subscribed, ev.sub]] as const) {
      expect((await bob.call("POST", `/rooms/${enc(r)}/receipt/m.read/${enc(e)}`, {})).status).toBe(200);
      expect((await alice.call("PUT", `/user/${enc(alice.id)}/rooms/${enc(r)}/account_data/m.note`, { r })).status).toBe(200);
      expect((await bob.call("PUT", `/rooms/${enc(r)}/typing/${enc(bob.id)}`, { typing: true, timeout: 30_000 })).status).toBe(200);
    }
    expect((await alice.call("PUT", `/user/${enc(alice.id)}/account_data/m.global_note`, { g: 1 })).status).toBe(200);
    const res = await slidingConnection(server, alice.session).sync({
      lists: { mine: { ranges: [[0, 99]], timeline_limit: 0, required_state: [], filters: {} }, other: { ranges: [[0, 99]], timeline_limit: 0, required_state: [] } },
      room_subscriptions: { [subscribed]: { timeline_limit: 0, required_state: [] } },
      extensions: {
        account_data: { enabled: true, lists: [], rooms: [subscribed] },
        receipts: { enabled: true, rooms: ["*"], lists: [] },
        typing: { enabled: true, lists: ["mine"], rooms: [] },
      },
    });
    expect(res.extensions.account_data!.global.some((e) => e.type === "m.global_note")).toBe(true);
    expect(Object.keys(res.extensions.account_data!.rooms)).toEqual([subscribed]);
    expect(Object.keys(res.extensions.receipts!.rooms)).toEqual([subscribed]);
    const receipt = res.extensions.receipts!.rooms[subscribed]!;
    expect(receipt.type).toBe("m.receipt");
    expect(Object.keys(receipt.content)).toEqual([ev.sub]);
    expect(Object.keys(res.extensions.typing!.rooms).sort()).toEqual([inList, outside, subscribed].sort());
    expect(res.extensions.typing!.rooms[inList]!.content).toEqual({ user_ids: [bob.id] });
  });
});

describe("the merged MSC's v4 path", () => {
  test("range, required_state include/exclude, is_invited, stripped_state, no push counts, a removed state entry as a stub", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const roomId = await createRoom(alice, { name: "Four", topic: "t" });
    const invite = await createRoom(bob, { name: "Come", invite: [alice.id] });
    const conn = slidingConnection(server, alice.session, "v4");
    const list = {
      rooms: { range: [0, 9], timeline_limit: 1, required_state: { include: [{}], exclude: [{ type: "m.room.create", state_key: "" }], lazy_members: true }, filters: { is_invited: false } },
      invites: { range: [0, 9], timeline_limit: 0, required_state: { include: [] }, filters: { is_invited: true } },
    };
    const first = await conn.sync({ lists: list });
    const room = first.rooms[roomId]!;
    const types = room.required_state!.map((e) => e.type);
    expect(types).toContain("m.room.topic");
    expect(types).not.toContain("m.room.create");
    expect(room.notification_count).toBeUndefined();
    expect(first.rooms[invite]!.stripped_state!.some((e) => e.type === "m.room.name")).toBe(true);
    expect(first.rooms[invite]!.lists).toEqual(["invites"]);
    await setState(alice, roomId, "m.room.topic", { topic: "t2" });
    const next = (await conn.sync({ lists: list })).rooms[roomId]!;
    expect(next.required_state!.map((e) => [e.type, e.content.topic])).toEqual([["m.room.topic", "t2"]]);
  });
});

describe("bad input", () => {
  test("malformed lists, ranges, required_state and too many subscriptions are M_INVALID_PARAM, and nothing is created", async () => {
    const alice = await user("alice");
    const call = (body: unknown) => api(server.baseUrl, "POST", unstablePath, { token: alice.session.access_token, body });
    expectError(await call({ lists: { all: { ranges: [[5, 1]], timeline_limit: 1 } } }), 400, "M_INVALID_PARAM");
    expectError(await call({ lists: { all: { ranges: "0-19", timeline_limit: 1 } } }), 400, "M_INVALID_PARAM");
    expectError(await call({ lists: { all: { ranges: [[0, 1]], timeline_limit: -1 } } }), 400, "M_INVALID_PARAM");
    expectError(await call({ lists: { all: { ranges: [[0, 1]], timeline_limit: 1, required_state: [["m.room.name"]] } } }), 400, "M_INVALID_PARAM");
    const subs = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`!r${i}:localhost`, { timeline_limit: 1 }]));
    expectError(await call({ room_subscriptions: subs }), 400, "M_INVALID_PARAM");
    expectError(await call({ extensions: { to_device: { enabled: true, since: "x" } } }), 400, "M_INVALID_PARAM");
    const unauthenticated = await api(server.baseUrl, "POST", unstablePath, { body: {} });
    expect(unauthenticated.status).toBe(401);
  });
});

describe("restarts", () => {
  const dataDir = mkdtempSync(joinPath(tmpdir(), "conduit-sliding-restart-"));
  let restartable: TestServer;
  beforeAll(async () => {
    restartable = await startServer({ dataDir });
  });
  afterAll(async () => {
    await restartable.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("a pos keeps its meaning after the server restarts: only what changed is sent", async () => {
    const alice = await addUser(restartable, "restart-alice");
    const roomId = await createRoomOn(restartable, alice, { name: "Durable" });
    const conn = slidingConnection(restartable, alice.session);
    const list = { all: elementList() };
    expect((await conn.sync({ lists: list })).rooms[roomId]!.initial).toBe(true);
    await restartable.stop();
    restartable = await startServer({ dataDir });
    const again = slidingConnection(restartable, alice.session);
    again.pos = conn.pos;
    expect((await again.sync({ lists: list })).rooms).toEqual({});
    await asUser(restartable.baseUrl, alice.session)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/r1`, { msgtype: "m.text", body: "after" });
    const news = await again.sync({ lists: list });
    expect(news.rooms[roomId]!.initial).toBeUndefined();
    expect(texts(news.rooms[roomId]!.timeline)).toEqual(["after"]);
  });
});

async function createRoomOn(s: TestServer, who: TestUser, body: Record<string, unknown>): Promise<string> {
  const res = await asUser(s.baseUrl, who.session)<{ room_id: string }>("POST", "/createRoom", body);
  expect(res.status).toBe(200);
  return res.body.room_id;
}
