// Server-side search over HTTP (spec "Server Side Search", room_events): words, prefixes, folded
// case and accents, CJK text, the keys, the filter, both orders with next_batch pages, event
// context with profiles, include_state, groupings with their own tokens, highlights, history
// visibility at the event, redactions leaving the index, encrypted rooms, and the refusals.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectError } from "../../helpers/client";
import { enc } from "../../helpers/rooms";
import { startServer, type TestServer } from "../../helpers/server";
import { addUser, type TestUser } from "../../helpers/users";

interface Hit {
  rank: number;
  result: { event_id: string; room_id: string; sender: string; type: string; content: Record<string, unknown> };
  context?: { start: string; end: string; events_before: { event_id: string }[]; events_after: { event_id: string }[]; profile_info?: Record<string, { displayname?: string }> };
}
interface RoomEvents {
  count: number;
  highlights: string[];
  results: Hit[];
  next_batch?: string;
  state?: Record<string, { type: string }[]>;
  groups?: Record<string, Record<string, { results: string[]; order: number; next_batch?: string }>>;
}

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let txn = 0;

beforeAll(async () => {
  server = await startServer();
  [alice, bob] = await Promise.all(["alice", "bob"].map((n) => addUser(server, n)));
});
afterAll(() => server?.stop());

async function room(who: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  const res = await who.call<{ room_id: string }>("POST", "/createRoom", body);
  expect(res.status).toBe(200);
  return res.body.room_id;
}
async function say(who: TestUser, roomId: string, body: string, type = "m.room.message"): Promise<string> {
  const res = await who.call<{ event_id: string }>("PUT", `/rooms/${enc(roomId)}/send/${type}/s${++txn}`, { msgtype: "m.text", body });
  expect(res.status).toBe(200);
  return res.body.event_id;
}
async function search(who: TestUser, criteria: Record<string, unknown>, nextBatch?: string) {
  const path = nextBatch === undefined ? "/search" : `/search?next_batch=${enc(nextBatch)}`;
  return who.call<{ search_categories: { room_events: RoomEvents }; errcode?: string }>("POST", path, { search_categories: { room_events: criteria } });
}
async function found(who: TestUser, criteria: Record<string, unknown>): Promise<RoomEvents> {
  const res = await search(who, criteria);
  expect(res.status).toBe(200);
  return res.body.search_categories.room_events;
}
const ids = (r: RoomEvents) => r.results.map((h) => h.result.event_id);

describe("matching", () => {
  let roomId: string;
  const sent: Record<string, string> = {};
  beforeAll(async () => {
    roomId = await room(alice, { name: "Lunch planning", topic: "Where we eat on Fridays" });
    sent.creme = await say(alice, roomId, "Crème brûlée at the Café Noir");
    sent.meeting = await say(alice, roomId, "The meeting moved to Thursday");
    sent.tokyo = await say(alice, roomId, "来週東京タワーに行きました");
    sent.korean = await say(alice, roomId, "서울에서 만나요");
    sent.chinese = await say(alice, roomId, "我们明天去北京吃烤鸭");
  });

  test("a word finds its message; case and accents do not matter", async () => {
    expect(ids(await found(alice, { search_term: "creme BRULEE", filter: { rooms: [roomId] } }))).toEqual([sent.creme!]);
    expect(ids(await found(alice, { search_term: "café", filter: { rooms: [roomId] } }))).toEqual([sent.creme!]);
  });

  test("a word finds longer words it begins, and the highlights name the words matched", async () => {
    const r = await found(alice, { search_term: "meet", filter: { rooms: [roomId] } });
    expect(ids(r)).toEqual([sent.meeting!]);
    expect(r.highlights).toEqual(expect.arrayContaining(["meet", "meeting"]));
  });

  test("every word must match; a quoted phrase must match in order", async () => {
    expect(ids(await found(alice, { search_term: "meeting Friday", filter: { rooms: [roomId] } }))).toEqual([]);
    expect(ids(await found(alice, { search_term: '"moved to thursday"', filter: { rooms: [roomId] } }))).toEqual([sent.meeting!]);
    expect(ids(await found(alice, { search_term: '"thursday moved"', filter: { rooms: [roomId] } }))).toEqual([]);
  });

  test("Japanese, Chinese and Korean words are found inside text without spaces, two characters or more", async () => {
    expect(ids(await found(alice, { search_term: "東京", filter: { rooms: [roomId] } }))).toEqual([sent.tokyo!]);
    expect(ids(await found(alice, { search_term: "タワー", filter: { rooms: [roomId] } }))).toEqual([sent.tokyo!]);
    expect(ids(await found(alice, { search_term: "北京", filter: { rooms: [roomId] } }))).toEqual([sent.chinese!]);
    expect(ids(await found(alice, { search_term: "서울", filter: { rooms: [roomId] } }))).toEqual([sent.korean!]);
    // The characters must be adjacent and in order.
    expect(ids(await found(alice, { search_term: "京東", filter: { rooms: [roomId] } }))).toEqual([]);
    expect((await found(alice, { search_term: "東京", filter: { rooms: [roomId] } })).highlights).toContain("東京");
  });

  test("the room's name and topic are searchable, and keys choose where to look", async () => {
    const named = await found(alice, { search_term: "lunch", filter: { rooms: [roomId] } });
    expect(named.results.map((h) => h.result.type)).toEqual(["m.room.name"]);
    expect((await found(alice, { search_term: "fridays", keys: ["content.topic"], filter: { rooms: [roomId] } })).results.map((h) => h.result.type)).toEqual(["m.room.topic"]);
    expect(ids(await found(alice, { search_term: "fridays", keys: ["content.body"], filter: { rooms: [roomId] } }))).toEqual([]);
    expect(ids(await found(alice, { search_term: "meeting", keys: ["content.name", "content.topic"], filter: { rooms: [roomId] } }))).toEqual([]);
  });
});

describe("filter, orders and pages", () => {
  let roomA: string;
  let roomB: string;
  const inA: string[] = [];
  const inB: string[] = [];
  beforeAll(async () => {
    roomA = await room(alice, { preset: "public_chat" });
    roomB = await room(alice, { preset: "public_chat" });
    await bob.call("POST", `/join/${enc(roomA)}`, {});
    await bob.call("POST", `/join/${enc(roomB)}`, {});
    for (let i = 0; i < 7; i++) inA.push(await say(i % 2 === 0 ? alice : bob, roomA, `giraffe number ${i}${i === 3 ? " giraffe giraffe" : ""}`));
    for (let i = 0; i < 5; i++) inB.push(await say(alice, roomB, `giraffe in B ${i}`));
  });
  const both = () => ({ rooms: [roomA, roomB] });

  test("recent order gives newest first, and next_batch pages through everything once", async () => {
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const res = await search(bob, { search_term: "giraffe", order_by: "recent", filter: { ...both(), limit: 5 } }, next);
      expect(res.status).toBe(200);
      const r = res.body.search_categories.room_events;
      expect(r.count).toBe(12);
      seen.push(...ids(r));
      next = r.next_batch;
    } while (next !== undefined);
    expect(seen).toEqual([...inA, ...inB].reverse());
  });

  test("rank order puts the best match first and pages by rank without repeats", async () => {
    const first = await found(bob, { search_term: "giraffe", filter: { ...both(), limit: 4 } });
    expect(first.results[0]!.result.event_id).toBe(inA[3]!);
    expect(first.results[0]!.rank).toBeGreaterThan(first.results[1]!.rank);
    const second = (await search(bob, { search_term: "giraffe", filter: { ...both(), limit: 100 } }, first.next_batch)).body.search_categories.room_events;
    expect(new Set([...ids(first), ...ids(second)]).size).toBe(12);
    expect(second.next_batch).toBeUndefined();
  });

  test("rooms, not_rooms, senders, not_senders, types and limit narrow the results", async () => {
    expect(ids(await found(bob, { search_term: "giraffe", order_by: "recent", filter: { rooms: [roomB] } })).sort()).toEqual([...inB].sort());
    expect(ids(await found(bob, { search_term: "giraffe", order_by: "recent", filter: { ...both(), not_rooms: [roomA] } })).sort()).toEqual([...inB].sort());
    const byBob = await found(bob, { search_term: "giraffe", order_by: "recent", filter: { ...both(), senders: [bob.id] } });
    expect(byBob.results.every((h) => h.result.sender === bob.id)).toBe(true);
    expect(byBob.results.length).toBe(3);
    const notBob = await found(bob, { search_term: "giraffe", order_by: "recent", filter: { ...both(), not_senders: [bob.id], limit: 100 } });
    expect(notBob.results.length).toBe(9);
    expect(ids(await found(bob, { search_term: "giraffe", filter: { ...both(), types: ["m.room.topic"] } }))).toEqual([]);
    expect((await found(bob, { search_term: "giraffe", filter: { ...both(), limit: 2 } })).results.length).toBe(2);
  });

  test("event_context gives the events around each result with the senders' profiles", async () => {
    const r = await found(bob, {
      search_term: "number 3",
      filter: { rooms: [roomA] },
      event_context: { before_limit: 2, after_limit: 1, include_profile: true },
    });
    expect(ids(r)).toEqual([inA[3]!]);
    const ctx = r.results[0]!.context!;
    expect(ctx.events_before.map((e) => e.event_id)).toEqual([inA[2]!, inA[1]!]);
    expect(ctx.events_after.map((e) => e.event_id)).toEqual([inA[4]!]);
    expect(Object.keys(ctx.profile_info!).sort()).toEqual([alice.id, bob.id].sort());
    expect(ctx.profile_info![alice.id]!.displayname).toBe("alice");
    // The tokens continue in /messages.
    const more = await bob.call<{ chunk: { event_id: string }[] }>("GET", `/rooms/${enc(roomA)}/messages?dir=b&limit=1&from=${enc(ctx.start)}`);
    expect(more.body.chunk.map((e) => e.event_id)).toEqual([inA[0]!]);
  });

  test("include_state gives the current state of the rooms in the results", async () => {
    const r = await found(bob, { search_term: "giraffe", include_state: true, filter: { rooms: [roomB], limit: 1 } });
    expect(Object.keys(r.state!)).toEqual([roomB]);
    expect(r.state![roomB]!.map((e) => e.type)).toEqual(expect.arrayContaining(["m.room.create", "m.room.power_levels", "m.room.member"]));
  });

  test("groupings by room and sender list the results of each, with a token that reads on in one group", async () => {
    const r = await found(bob, {
      search_term: "giraffe",
      order_by: "recent",
      filter: { ...both(), limit: 6 },
      groupings: { group_by: [{ key: "room_id" }, { key: "sender" }] },
    });
    const rooms = r.groups!.room_id!;
    expect(rooms[roomB]!.results).toEqual([...inB].reverse());
    expect(rooms[roomB]!.order).toBe(1);
    expect(rooms[roomA]!.results).toEqual([inA[6]!]);
    expect(r.groups!.sender![alice.id]!.results.length).toBe(6);
    const rest = await search(bob, { search_term: "giraffe", order_by: "recent", filter: { ...both(), limit: 100 }, groupings: { group_by: [{ key: "room_id" }] } }, rooms[roomA]!.next_batch);
    expect(ids(rest.body.search_categories.room_events)).toEqual(inA.slice(0, 6).reverse());
  });
});

describe("who may find what", () => {
  test("a user finds nothing of rooms they were never in", async () => {
    const roomId = await room(alice);
    await say(alice, roomId, "secret zebra plans");
    expect(ids(await found(bob, { search_term: "zebra" }))).toEqual([]);
    expect(ids(await found(alice, { search_term: "zebra" })).length).toBe(1);
  });

  test("history visibility is applied at the event: with joined, what came before the join stays hidden", async () => {
    const roomId = await room(alice, { preset: "public_chat", initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: "joined" } }] });
    const before = await say(alice, roomId, "okapi before bob");
    await bob.call("POST", `/join/${enc(roomId)}`, {});
    const after = await say(alice, roomId, "okapi after bob");
    expect(ids(await found(bob, { search_term: "okapi", order_by: "recent" }))).toEqual([after]);
    expect(ids(await found(alice, { search_term: "okapi", order_by: "recent" }))).toEqual([after, before]);
  });

  test("a redacted message leaves the index", async () => {
    const roomId = await room(alice);
    const gone = await say(alice, roomId, "narwhal to be redacted");
    const kept = await say(alice, roomId, "narwhal that stays");
    expect((await alice.call("PUT", `/rooms/${enc(roomId)}/redact/${enc(gone)}/r${++txn}`, {})).status).toBe(200);
    const r = await found(alice, { search_term: "narwhal", filter: { rooms: [roomId] } });
    expect(ids(r)).toEqual([kept]);
    expect(r.count).toBe(1);
  });

  test("an encrypted room has nothing indexed", async () => {
    const roomId = await room(alice, { initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }] });
    const res = await alice.call("PUT", `/rooms/${enc(roomId)}/send/m.room.encrypted/e${++txn}`, { algorithm: "m.megolm.v1.aes-sha2", ciphertext: "quokka", sender_key: "k", session_id: "s", device_id: "D" });
    expect(res.status).toBe(200);
    expect((await found(alice, { search_term: "quokka", filter: { rooms: [roomId] } })).count).toBe(0);
  });
});

describe("refusals", () => {
  test("a missing or empty search term, bad keys, order_by, limits, groupings or token are 400s", async () => {
    expectError(await search(alice, {}), 400, "M_MISSING_PARAM");
    expectError(await search(alice, { search_term: 5 }), 400, "M_BAD_JSON");
    expectError(await search(alice, { search_term: "!!!" }), 400, "M_INVALID_PARAM");
    expectError(await search(alice, { search_term: "x", keys: ["content.url"] }), 400, "M_INVALID_PARAM");
    expectError(await search(alice, { search_term: "x", order_by: "oldest" }), 400, "M_INVALID_PARAM");
    expectError(await search(alice, { search_term: "x", event_context: { before_limit: -1 } }), 400, "M_INVALID_PARAM");
    expectError(await search(alice, { search_term: "x", groupings: { group_by: [{ key: "type" }] } }), 400, "M_INVALID_PARAM");
    expectError(await search(alice, { search_term: "x", filter: { senders: "nope" } }), 400, "M_INVALID_PARAM");
    expectError(await search(alice, { search_term: "x" }, "garbage"), 400, "M_INVALID_PARAM");
    expectError(await alice.call("POST", "/search", { nothing: true }), 400, "M_MISSING_PARAM");
  });

  test("a token given for one order is refused for the other", async () => {
    const roomId = await room(alice);
    for (let i = 0; i < 3; i++) await say(alice, roomId, `wombat ${i}`);
    const r = await found(alice, { search_term: "wombat", filter: { rooms: [roomId], limit: 1 } });
    expectError(await search(alice, { search_term: "wombat", order_by: "recent", filter: { rooms: [roomId], limit: 1 } }, r.next_batch), 400, "M_INVALID_PARAM");
  });

  test("search needs an access token; other categories are answered empty", async () => {
    const res = await fetch(`${server.baseUrl}/_matrix/client/v3/search`, { method: "POST", body: JSON.stringify({ search_categories: {} }) });
    expect(res.status).toBe(401);
    const none = await alice.call("POST", "/search", { search_categories: {} });
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ search_categories: {} });
  });
});
