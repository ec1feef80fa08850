// The user directory over HTTP (spec "User Directory"): users found by user id and display name
// (case and accents folded, any script) among those sharing a room with the searcher or joined to
// a public room; profile changes, deactivation and rooms turning private followed at once;
// `limit` and `limited`; search_all_users; and the refusals.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectError } from "../../helpers/client";
import { enc } from "../../helpers/rooms";
import { startServer, type TestServer } from "../../helpers/server";
import { addUser, type TestUser } from "../../helpers/users";

interface Found {
  results: { user_id: string; display_name?: string; avatar_url?: string }[];
  limited: boolean;
  errcode?: string;
}

let server: TestServer;
let n = 0;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.stop());

/** A fresh user with a unique name, so each test's users are its own. */
const fresh = (prefix: string) => addUser(server, `${prefix}${++n}`);
const lookup = (who: TestUser, search_term: string, limit?: number) => who.call<Found>("POST", "/user_directory/search", { search_term, limit });
async function userIds(who: TestUser, term: string): Promise<string[]> {
  const res = await lookup(who, term);
  expect(res.status).toBe(200);
  return res.body.results.map((r) => r.user_id);
}
async function sharedRoom(a: TestUser, b: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  const roomId = (await a.call<{ room_id: string }>("POST", "/createRoom", body)).body.room_id;
  await a.call("POST", `/rooms/${enc(roomId)}/invite`, { user_id: b.id });
  expect((await b.call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
  return roomId;
}
const rename = (who: TestUser, displayname: string) => who.call("PUT", `/profile/${enc(who.id)}/displayname`, { displayname });

describe("who is found", () => {
  test("a user sharing a room is found by display name and by user id; a stranger is not", async () => {
    const [me, friend, stranger] = await Promise.all([fresh("dirme"), fresh("dirfriend"), fresh("dirstranger")]);
    await sharedRoom(me, friend);
    await rename(friend, "Zoltán Kovács");
    await rename(stranger, "Zoltán Other");
    expect(await userIds(me, "zoltan")).toEqual([friend.id]);
    expect(await userIds(me, "KOVÁCS")).toEqual([friend.id]);
    expect(await userIds(me, friend.id.slice(1, 8))).toEqual([friend.id]);
    const [hit] = (await lookup(me, "kovacs")).body.results;
    expect(hit).toEqual({ user_id: friend.id, display_name: "Zoltán Kovács" });
  });

  test("every word must match, in any script", async () => {
    const [me, friend] = await Promise.all([fresh("dirwords"), fresh("dirwordsf")]);
    await sharedRoom(me, friend);
    await rename(friend, "山田 太郎 Taro");
    expect(await userIds(me, "太郎")).toEqual([friend.id]);
    expect(await userIds(me, "taro 山田")).toEqual([friend.id]);
    expect(await userIds(me, "taro 鈴木")).toEqual([]);
  });

  test("members of a public room are found by anyone; once the room is invite-only, no longer", async () => {
    const [me, owner] = await Promise.all([fresh("dirpub"), fresh("dirpubowner")]);
    await rename(owner, "Publicity Owner");
    const roomId = (await owner.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
    expect(await userIds(me, "publicity")).toEqual([owner.id]);
    expect((await owner.call("PUT", `/rooms/${enc(roomId)}/state/m.room.join_rules/`, { join_rule: "invite" })).status).toBe(200);
    expect(await userIds(me, "publicity")).toEqual([]);
  });

  test("searchers find themselves only through a public room, as anyone would", async () => {
    const [me, friend] = await Promise.all([fresh("dirself"), fresh("dirselff")]);
    await rename(me, "Selfsearch Sam");
    const roomId = await sharedRoom(friend, me, { preset: "private_chat" });
    expect(await userIds(me, "selfsearch")).toEqual([]);
    expect(await userIds(friend, "selfsearch")).toEqual([me.id]);
    expect((await friend.call("PUT", `/rooms/${enc(roomId)}/state/m.room.join_rules/`, { join_rule: "public" })).status).toBe(200);
    expect(await userIds(me, "selfsearch")).toEqual([me.id]);
  });

  test("a user who left the only shared room is no longer found", async () => {
    const [me, friend] = await Promise.all([fresh("dirleave"), fresh("dirleavef")]);
    await rename(friend, "Leaving Larry");
    const roomId = await sharedRoom(me, friend);
    expect(await userIds(me, "larry")).toEqual([friend.id]);
    expect((await friend.call("POST", `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    expect(await userIds(me, "larry")).toEqual([]);
  });

  test("a new display name is found at once and the old one no longer; a deactivated user is gone", async () => {
    const [me, friend] = await Promise.all([fresh("dirname"), fresh("dirnamef")]);
    await sharedRoom(me, friend);
    await rename(friend, "Quentin Quux");
    expect(await userIds(me, "quentin")).toEqual([friend.id]);
    await rename(friend, "Rupert Roe");
    expect(await userIds(me, "quentin")).toEqual([]);
    expect(await userIds(me, "rupert")).toEqual([friend.id]);
    const auth = { type: "m.login.password", identifier: { type: "m.id.user", user: friend.id }, password: "correct horse battery staple" };
    expect((await friend.call("POST", "/account/deactivate", { auth })).status).toBe(200);
    expect(await userIds(me, "rupert")).toEqual([]);
  });
});

test("limit caps the results and limited says more matched", async () => {
  const me = await fresh("dirlimit");
  const others = await Promise.all([1, 2, 3].map(() => fresh("dirlimito")));
  for (const o of others) {
    await rename(o, `Limitless ${o.id.slice(1, 12)}`);
    await sharedRoom(me, o);
  }
  const two = await lookup(me, "limitless", 2);
  expect(two.body.results.length).toBe(2);
  expect(two.body.limited).toBe(true);
  const all = await lookup(me, "limitless", 10);
  expect(all.body.results.map((r) => r.user_id).sort()).toEqual(others.map((o) => o.id).sort());
  expect(all.body.limited).toBe(false);
});

test("bad requests are refused: no search_term, a term that is not a string, a bad limit, no token", async () => {
  const me = await fresh("dirbad");
  expectError(await me.call<Found>("POST", "/user_directory/search", {}), 400, "M_MISSING_PARAM");
  expectError(await me.call<Found>("POST", "/user_directory/search", { search_term: 3 }), 400, "M_BAD_JSON");
  expectError(await me.call<Found>("POST", "/user_directory/search", { search_term: "x", limit: -1 }), 400, "M_INVALID_PARAM");
  const res = await fetch(`${server.baseUrl}/_matrix/client/v3/user_directory/search`, { method: "POST", body: JSON.stringify({ search_term: "x" }) });
  expect(res.status).toBe(401);
});

describe("search_all_users", () => {
  let everyone: TestServer;
  beforeAll(async () => {
    everyone = await startServer({ toml: "search_all_users = true" });
  });
  afterAll(() => everyone?.stop());

  test("finds a user who shares no room with the searcher, even one who never joined any", async () => {
    const [me, loner] = await Promise.all([addUser(everyone, "allme"), addUser(everyone, "lonelyheart")]);
    const res = await lookup(me, "lonely");
    expect(res.body.results).toEqual([{ user_id: loner.id, display_name: "lonelyheart" }]);
  });
});
