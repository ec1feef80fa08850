// /sync over HTTP: initial and incremental syncs, long-polling, limited timelines with the state
// delta across the gap, invites, leaves (kicks and bans), filters, lazy-loaded members, full_state,
// account data, and the token format.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { enc, type UserCall } from "../../helpers/as-user";
import { expectError } from "../../helpers/client";
import type { TestServer } from "../../helpers/server";
import { addUser, serverWithUsers, type TestUser } from "../../helpers/users";
import { ofType, parked, syncClient, type SyncBody, type SyncEvent } from "../../helpers/sync";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;

beforeAll(async () => {
  ({ server, users: { alice, bob, carol } } = await serverWithUsers(["alice", "bob", "carol"], { log: "debug" }));
});
afterAll(() => server.stop());

let txn = 0;
async function send(call: UserCall, roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call<{ event_id: string }>("PUT", `/rooms/${enc(roomId)}/send/m.room.message/s${++txn}`, { msgtype: "m.text", body, ...extra });
  expect(res.status).toBe(200);
  return res.body.event_id;
}

async function createRoom(call: UserCall, body: Record<string, unknown> = {}): Promise<string> {
  const res = await call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat", ...body });
  expect(res.status).toBe(200);
  return res.body.room_id;
}

async function join(call: UserCall, roomId: string): Promise<void> {
  expect((await call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
}

const bodies = (events: SyncEvent[]) => events.filter((e) => e.type === "m.room.message").map((e) => e.content.body);

describe("initial and incremental sync", () => {
  test("an initial sync holds the room's timeline, state at its start, summary and counts", async () => {
    const roomId = await createRoom(alice.call, { name: "Initial" });
    await join(bob.call, roomId);
    await send(alice.call, roomId, "one");
    const sync = syncClient(bob.call);
    const body = await sync.next();
    expect(body.next_batch).toMatch(/^s\d+_/);
    const room = body.rooms.join[roomId]!;
    expect(room).toBeDefined();
    expect(bodies(room.timeline.events)).toEqual(["one"]);
    expect(room.timeline.prev_batch).toBeString();
    // Every state key appears once across state and timeline, and the room's name is known.
    const all = [...room.state.events, ...room.timeline.events];
    expect(all.some((e) => e.type === "m.room.name" && e.content.name === "Initial")).toBe(true);
    expect(all.some((e) => e.type === "m.room.create")).toBe(true);
    for (const e of room.timeline.events) expect("room_id" in e).toBe(false);
    // Named: clients need no heroes to name it.
    expect(room.summary).toEqual({ "m.joined_member_count": 2, "m.invited_member_count": 0 });
    expect(room.unread_notifications).toEqual({ notification_count: 1, highlight_count: 0 });
    expect(body.to_device).toEqual({ events: [] });
    expect(body.device_lists).toEqual({ changed: [], left: [] });
    expect(body.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(body.device_unused_fallback_key_types).toEqual([]);
  });

  test("a room without a name or alias has heroes in its summary, and loses them once an alias names it", async () => {
    const roomId = await createRoom(alice.call);
    await join(bob.call, roomId);
    const sync = syncClient(bob.call);
    const first = await sync.next();
    expect(first.rooms.join[roomId]!.summary).toEqual({ "m.heroes": [alice.id], "m.joined_member_count": 2, "m.invited_member_count": 0 });
    const alias = `#heroes-${Date.now()}:localhost`;
    expect((await alice.call("PUT", `/directory/room/${enc(alias)}`, { room_id: roomId })).status).toBe(200);
    expect((await alice.call("PUT", `/rooms/${enc(roomId)}/state/m.room.canonical_alias`, { alias })).status).toBe(200);
    await join(carol.call, roomId);
    const next = await sync.next();
    expect(next.rooms.join[roomId]!.summary).toEqual({ "m.joined_member_count": 3, "m.invited_member_count": 0 });
  });

  test("a display name change (join after join) is an ordinary event: no full room in the next sync", async () => {
    const roomId = await createRoom(alice.call);
    await send(alice.call, roomId, "before");
    const sync = syncClient(alice.call);
    await sync.next();
    const rename = await alice.call<{ event_id: string }>("PUT", `/rooms/${enc(roomId)}/state/m.room.member/${enc(alice.id)}`, { membership: "join", displayname: "Alice Renamed" });
    expect(rename.status).toBe(200);
    const after = await send(alice.call, roomId, "after");
    const room = (await sync.next()).rooms.join[roomId]!;
    expect(room.timeline.events.map((e) => e.event_id)).toEqual([rename.body.event_id, after]);
    expect(room.timeline.limited).toBe(false);
    expect(room.state.events).toEqual([]);
  });

  test("an incremental sync returns only what is new, and an idle one times out empty", async () => {
    const roomId = await createRoom(alice.call);
    await join(bob.call, roomId);
    const sync = syncClient(bob.call);
    await sync.next();
    await send(alice.call, roomId, "two");
    const body = await sync.next();
    expect(bodies(body.rooms.join[roomId]!.timeline.events)).toEqual(["two"]);
    expect(body.rooms.join[roomId]!.timeline.limited).toBe(false);
    expect(body.rooms.join[roomId]!.state.events).toEqual([]);
    const started = performance.now();
    const idle = await sync.next({ timeout: "300" });
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(waited).toBeLessThan(3_000);
    expect(idle.rooms.join).toEqual({});
  });

  test("a long-poll returns as soon as another user sends a message", async () => {
    const roomId = await createRoom(alice.call);
    await join(bob.call, roomId);
    const sync = syncClient(bob.call);
    await sync.next();
    const waiting = parked(server, bob.id);
    const pending = sync.next({ timeout: "20000" });
    await waiting;
    await send(alice.call, roomId, "wake up");
    // Without the wake-up this answers empty after its timeout.
    const body = await pending;
    expect(bodies(body.rooms.join[roomId]!.timeline.events)).toEqual(["wake up"]);
  });

  test("a message in a room the user is not in does not wake them", async () => {
    const mine = await createRoom(alice.call);
    await join(bob.call, mine);
    const other = await createRoom(carol.call);
    const sync = syncClient(bob.call);
    await sync.next();
    const waiting = parked(server, bob.id);
    const pending = sync.next({ timeout: "600" });
    await waiting;
    await send(carol.call, other, "not for bob");
    const body = await pending;
    expect(body.rooms.join[other]).toBeUndefined();
    expect(body.rooms.join).toEqual({});
  });

  test("an unknown since token is 400 M_INVALID_PARAM; an unknown filter id too", async () => {
    expectError(await bob.call("GET", "/sync?since=garbage"), 400, "M_INVALID_PARAM");
    expectError(await bob.call("GET", "/sync?filter=424242"), 400, "M_INVALID_PARAM");
    expectError(await bob.call("GET", `/sync?filter=${enc("{not json")}`), 400, "M_NOT_JSON");
    expectError(await bob.call("GET", `/sync?filter=${enc('{"room":{"timeline":{"limit":"x"}}}')}`), 400, "M_BAD_JSON");
  });

  test("own messages count as read; others' count until a receipt", async () => {
    const roomId = await createRoom(alice.call);
    await join(bob.call, roomId);
    await send(bob.call, roomId, "mine");
    await send(alice.call, roomId, "theirs 1");
    const last = await send(alice.call, roomId, "theirs 2");
    const sync = syncClient(bob.call);
    let body = await sync.next();
    expect(body.rooms.join[roomId]!.unread_notifications.notification_count).toBe(2);
    expect((await bob.call("POST", `/rooms/${enc(roomId)}/receipt/m.read/${enc(last)}`, {})).status).toBe(200);
    body = await sync.next();
    expect(body.rooms.join[roomId]!.unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 });
  });
});

describe("limited timelines and gaps", () => {
  test("a gappy sync is limited, its prev_batch paginates the gap, and the state delta covers it", async () => {
    const roomId = await createRoom(alice.call, { name: "Before" });
    await join(bob.call, roomId);
    const sync = syncClient(bob.call);
    const filter = JSON.stringify({ room: { timeline: { limit: 3 } } });
    await sync.next({ filter });
    await send(alice.call, roomId, "gap 1");
    expect((await alice.call("PUT", `/rooms/${enc(roomId)}/state/m.room.name/`, { name: "During" })).status).toBe(200);
    await send(alice.call, roomId, "gap 2");
    for (let i = 1; i <= 3; i++) await send(alice.call, roomId, `tail ${i}`);
    const body = await sync.next({ filter });
    const room = body.rooms.join[roomId]!;
    expect(room.timeline.limited).toBe(true);
    expect(bodies(room.timeline.events)).toEqual(["tail 1", "tail 2", "tail 3"]);
    // The rename happened in the gap: it arrives as state, not in the timeline.
    expect(ofType(room.state.events, "m.room.name").map((e) => e.content.name)).toEqual(["During"]);
    expect(room.state.events.some((e) => e.type === "m.room.create")).toBe(false);
    const back = await bob.call<{ chunk: SyncEvent[] }>("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=3&from=${enc(room.timeline.prev_batch!)}`);
    expect(back.status).toBe(200);
    expect(bodies(back.body.chunk)).toEqual(["gap 2", "gap 1"]);
  });

  test("an initial sync of a long room is limited and starts with the state before its timeline", async () => {
    const roomId = await createRoom(alice.call, { name: "Long" });
    for (let i = 0; i < 15; i++) await send(alice.call, roomId, `m${i}`);
    const body = await syncClient(alice.call).next();
    const room = body.rooms.join[roomId]!;
    expect(room.timeline.limited).toBe(true);
    expect(room.timeline.events.length).toBe(10);
    expect(bodies(room.timeline.events).at(-1)).toBe("m14");
    expect(ofType(room.state.events, "m.room.name").map((e) => e.content.name)).toEqual(["Long"]);
    expect(ofType(room.state.events, "m.room.member").map((e) => e.state_key)).toEqual([alice.id]);
  });

  test("full_state sends the whole state in an incremental sync", async () => {
    const roomId = await createRoom(alice.call, { name: "Full" });
    const sync = syncClient(alice.call);
    await sync.next();
    const body = await sync.next({ full_state: "true", timeout: "10000" });
    const room = body.rooms.join[roomId]!;
    expect(room).toBeDefined();
    expect(room.timeline.events).toEqual([]);
    const types = room.state.events.map((e) => e.type);
    expect(types).toContain("m.room.create");
    expect(types).toContain("m.room.name");
  });
});

describe("invites, leaves, kicks and bans", () => {
  test("an invite shows as stripped state including the create event; accepting moves the room to join", async () => {
    const roomId = await createRoom(alice.call, { name: "Invite me", preset: "private_chat" });
    const sync = syncClient(carol.call);
    await sync.next();
    expect((await alice.call("POST", `/rooms/${enc(roomId)}/invite`, { user_id: carol.id })).status).toBe(200);
    const body = await sync.next({ timeout: "5000" });
    const invite = body.rooms.invite[roomId]!;
    expect(invite).toBeDefined();
    const types = invite.invite_state.events.map((e) => e.type);
    expect(types).toContain("m.room.create");
    expect(types).toContain("m.room.name");
    const member = invite.invite_state.events.find((e) => e.type === "m.room.member" && e.state_key === carol.id)!;
    expect(member.content.membership).toBe("invite");
    expect(member.sender).toBe(alice.id);
    for (const e of invite.invite_state.events) expect(Object.keys(e).sort()).toEqual(["content", "sender", "state_key", "type"]);
    await join(carol.call, roomId);
    const joined = await sync.next({ timeout: "5000" });
    expect(joined.rooms.join[roomId]).toBeDefined();
    expect(joined.rooms.invite[roomId]).toBeUndefined();
    // The room is new to the client: it gets the room's state.
    const all = [...joined.rooms.join[roomId]!.state.events, ...joined.rooms.join[roomId]!.timeline.events];
    expect(all.some((e) => e.type === "m.room.create")).toBe(true);
  });

  test("rejecting an invite shows the room under leave", async () => {
    const roomId = await createRoom(alice.call, { preset: "private_chat" });
    const sync = syncClient(carol.call);
    await alice.call("POST", `/rooms/${enc(roomId)}/invite`, { user_id: carol.id });
    await sync.next();
    expect((await carol.call("POST", `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    const body = await sync.next({ timeout: "5000" });
    expect(body.rooms.leave[roomId]).toBeDefined();
    expect(body.rooms.invite[roomId]).toBeUndefined();
  });

  test("a kicked user sees the room under leave with the kick as its last event, then no more", async () => {
    const roomId = await createRoom(alice.call);
    await join(carol.call, roomId);
    const sync = syncClient(carol.call);
    await sync.next();
    await send(alice.call, roomId, "before the kick");
    expect((await alice.call("POST", `/rooms/${enc(roomId)}/kick`, { user_id: carol.id, reason: "bye" })).status).toBe(200);
    await send(alice.call, roomId, "after the kick");
    const body = await sync.next({ timeout: "5000" });
    expect(body.rooms.join[roomId]).toBeUndefined();
    const left = body.rooms.leave[roomId]!;
    const last = left.timeline.events.at(-1)!;
    expect([last.type, last.state_key, last.content.membership, last.content.reason]).toEqual(["m.room.member", carol.id, "leave", "bye"]);
    expect(bodies(left.timeline.events)).toEqual(["before the kick"]);
    const later = await sync.next();
    expect(later.rooms.leave[roomId]).toBeUndefined();
    expect(later.rooms.join[roomId]).toBeUndefined();
  });

  test("a knock shows as knock_state with the create and join rules events; the room sees the knock", async () => {
    const roomId = await createRoom(alice.call, { name: "Knock here", preset: "private_chat" });
    expect((await alice.call("PUT", `/rooms/${enc(roomId)}/state/m.room.join_rules/`, { join_rule: "knock" })).status).toBe(200);
    const sync = syncClient(carol.call);
    const aliceSync = syncClient(alice.call);
    await sync.next();
    await aliceSync.next();
    expect((await carol.call("POST", `/knock/${enc(roomId)}`, { reason: "let me in" })).status).toBe(200);
    const body = await sync.next({ timeout: "5000" });
    const knock = body.rooms.knock[roomId]!;
    expect(knock).toBeDefined();
    const types = knock.knock_state.events.map((e) => e.type);
    expect(types).toContain("m.room.create");
    expect(types).toContain("m.room.name");
    expect(knock.knock_state.events.find((e) => e.type === "m.room.join_rules")!.content).toEqual({ join_rule: "knock" });
    const own = knock.knock_state.events.find((e) => e.type === "m.room.member")!;
    expect([own.state_key, own.sender, own.content.membership]).toEqual([carol.id, carol.id, "knock"]);
    const seen = await aliceSync.next({ timeout: "5000" });
    const knockEvent = seen.rooms.join[roomId]!.timeline.events.find((e) => e.type === "m.room.member" && e.state_key === carol.id)!;
    expect(knockEvent.content).toMatchObject({ membership: "knock", reason: "let me in" });
  });

  test("a ban is a leave too; include_leave brings left rooms back in an initial sync", async () => {
    const roomId = await createRoom(alice.call);
    await join(carol.call, roomId);
    const sync = syncClient(carol.call);
    await sync.next();
    expect((await alice.call("POST", `/rooms/${enc(roomId)}/ban`, { user_id: carol.id })).status).toBe(200);
    const body = await sync.next({ timeout: "5000" });
    expect(body.rooms.leave[roomId]!.timeline.events.at(-1)!.content.membership).toBe("ban");
    const plain = await syncClient(carol.call).next();
    expect(plain.rooms.leave[roomId]).toBeUndefined();
    const withLeave = await syncClient(carol.call).next({ filter: JSON.stringify({ room: { include_leave: true } }) });
    expect(withLeave.rooms.leave[roomId]!.timeline.events.at(-1)!.content.membership).toBe("ban");
  });
});

describe("filters", () => {
  test("timeline types/not_senders, event_fields and a stored filter id", async () => {
    const roomId = await createRoom(alice.call);
    await join(bob.call, roomId);
    await join(carol.call, roomId);
    const created = await bob.call<{ filter_id: string }>("POST", `/user/${enc(bob.id)}/filter`, {
      room: { timeline: { types: ["m.room.message"], not_senders: [carol.id] }, rooms: [roomId] },
      event_fields: ["type", "content.body", "sender"],
    });
    const sync = syncClient(bob.call);
    await sync.next({ filter: created.body.filter_id });
    await send(alice.call, roomId, "from alice");
    await send(carol.call, roomId, "from carol");
    await alice.call("PUT", `/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: "t" });
    const body = await sync.next({ filter: created.body.filter_id });
    expect(Object.keys(body.rooms.join)).toEqual([roomId]);
    expect(body.rooms.join[roomId]!.timeline.events).toEqual([
      { type: "m.room.message", content: { body: "from alice" }, sender: alice.id },
    ]);
  });

  test("event_format federation returns the PDUs as stored", async () => {
    const roomId = await createRoom(alice.call);
    await send(alice.call, roomId, "as a pdu");
    const body = await syncClient(alice.call).next({ filter: JSON.stringify({ event_format: "federation" }) });
    const pdu = body.rooms.join[roomId]!.timeline.events.at(-1)! as SyncEvent & Record<string, unknown>;
    expect(pdu.content.body).toBe("as a pdu");
    expect(pdu.room_id).toBe(roomId);
    expect(pdu.hashes).toBeDefined();
    expect(pdu.signatures).toBeDefined();
    expect(pdu.depth).toBeNumber();
    expect(pdu.prev_events).toBeArray();
  });

  test("room not_rooms hides a room entirely; account_data types filter global data", async () => {
    const hidden = await createRoom(bob.call);
    const sync = syncClient(bob.call);
    await bob.call("PUT", `/user/${enc(bob.id)}/account_data/org.example.a`, { n: 1 });
    await bob.call("PUT", `/user/${enc(bob.id)}/account_data/org.example.b`, { n: 2 });
    const body = await sync.next({ filter: JSON.stringify({ room: { not_rooms: [hidden] }, account_data: { not_types: ["org.example.b"] } }) });
    expect(body.rooms.join[hidden]).toBeUndefined();
    const types = body.account_data.events.map((e) => e.type);
    expect(types).toContain("org.example.a");
    expect(types).not.toContain("org.example.b");
  });
});

describe("state_after (use_state_after)", () => {
  test("state_after replaces state and describes the end of the timeline", async () => {
    const roomId = await createRoom(alice.call, { name: "First name" });
    const sync = syncClient(bob.call);
    await join(bob.call, roomId);
    const initial = await sync.next({ use_state_after: "true" });
    const room = initial.rooms.join[roomId] as unknown as Record<string, { events: SyncEvent[] }>;
    expect(room.state).toBeUndefined();
    const names = ofType(room.state_after!.events, "m.room.name").map((e) => e.content.name);
    expect(names).toEqual(["First name"]);
    // bob's own join is the timeline's last event, and state_after already holds it.
    expect(ofType(room.state_after!.events, "m.room.member").map((e) => e.state_key)).toContain(bob.id);

    await alice.call("PUT", `/rooms/${enc(roomId)}/state/m.room.name/`, { name: "Second name" });
    const changed = await sync.next({ use_state_after: "true" });
    const after = (changed.rooms.join[roomId] as unknown as Record<string, { events: SyncEvent[] }>).state_after!;
    expect(after.events.map((e) => [e.type, e.content.name])).toEqual([["m.room.name", "Second name"]]);

    await send(alice.call, roomId, "just a message");
    const quiet = await sync.next({ use_state_after: "true" });
    expect((quiet.rooms.join[roomId] as unknown as Record<string, { events: SyncEvent[] }>).state_after).toEqual({ events: [] });
  });

  test("MSC4222's unstable parameter answers under the unstable field name", async () => {
    const roomId = await createRoom(alice.call, { name: "Unstable" });
    const sync = syncClient(alice.call);
    const initial = await sync.next({ "org.matrix.msc4222.use_state_after": "true" });
    const room = initial.rooms.join[roomId] as unknown as Record<string, { events: SyncEvent[] } | undefined>;
    expect(room.state).toBeUndefined();
    expect(room.state_after).toBeUndefined();
    expect(ofType(room["org.matrix.msc4222.state_after"]!.events, "m.room.name").map((e) => e.content.name)).toEqual(["Unstable"]);
  });
});

describe("account data in sync", () => {
  test("global and room account data and tags arrive, and a change wakes a long-poll", async () => {
    const roomId = await createRoom(bob.call);
    const sync = syncClient(bob.call);
    await sync.next();
    const waiting = parked(server, bob.id);
    const pending = sync.next({ timeout: "10000" });
    await waiting;
    await bob.call("PUT", `/user/${enc(bob.id)}/account_data/org.example.wake`, { woke: true });
    const body = await pending;
    expect(body.account_data.events).toEqual([{ type: "org.example.wake", content: { woke: true } }]);
    await bob.call("PUT", `/user/${enc(bob.id)}/rooms/${enc(roomId)}/tags/m.favourite`, {});
    await bob.call("PUT", `/user/${enc(bob.id)}/rooms/${enc(roomId)}/account_data/org.example.r`, { x: 1 });
    const next = await sync.next();
    expect(next.rooms.join[roomId]!.account_data.events).toEqual([
      { type: "m.tag", content: { tags: { "m.favourite": {} } } },
      { type: "org.example.r", content: { x: 1 } },
    ]);
    expect(next.rooms.join[roomId]!.timeline.events).toEqual([]);
  });
});

describe("lazy-loading members", () => {
  const lazy = (extra: Record<string, unknown> = {}) => JSON.stringify({ room: { state: { lazy_load_members: true, ...extra } } });
  const memberKeys = (body: SyncBody, roomId: string) =>
    ofType(body.rooms.join[roomId]!.state.events, "m.room.member").map((e) => e.state_key).sort();

  test("state holds only the members the timeline and heroes need, the user, and no redundant repeats", async () => {
    const roomId = await createRoom(alice.call);
    // Four early members make the heroes (with alice), so bob, who joins later, is not one.
    const early = await Promise.all([1, 2, 3, 4].map((i) => addUser(server, `early${i}`)));
    for (const who of early) await join(who.call, roomId);
    await join(bob.call, roomId);
    await join(carol.call, roomId);
    for (let i = 0; i < 12; i++) await send(alice.call, roomId, `filler ${i}`);
    const sync = syncClient(carol.call);
    const first = await sync.next({ filter: lazy() });
    const heroes = [alice.id, ...early.map((e) => e.id)];
    expect(first.rooms.join[roomId]!.summary!["m.heroes"]).toEqual(heroes);
    expect(first.rooms.join[roomId]!.summary!["m.joined_member_count"]).toBe(7);
    expect(memberKeys(first, roomId)).toEqual([...heroes, carol.id].sort());
    await send(bob.call, roomId, "bob speaks");
    const second = await sync.next({ filter: lazy() });
    expect(memberKeys(second, roomId)).toEqual([bob.id]);
    await send(bob.call, roomId, "bob again");
    await send(alice.call, roomId, "alice again");
    const third = await sync.next({ filter: lazy() });
    expect(memberKeys(third, roomId)).toEqual([]);
    await send(bob.call, roomId, "bob once more");
    const redundant = await sync.next({ filter: lazy({ include_redundant_members: true }) });
    expect(memberKeys(redundant, roomId)).toEqual([bob.id]);
  });
});
