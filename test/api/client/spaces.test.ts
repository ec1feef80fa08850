// Spaces on one server over HTTP: GET /hierarchy (depth-first order with the spec's child order,
// who sees which room, suggested_only, max_depth, pagination and its errors, loops) and room
// summaries by id and alias, with and without a token, on the stable and unstable paths.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, registerUser, type ApiResponse, type Session } from "../../helpers/client";
import { createRoom, enc, joinRoom, setState } from "../../helpers/rooms";
import { startServer, type TestServer } from "../../helpers/server";

let server: TestServer;
let alice: Session;
let bob: Session;

interface Chunk {
  room_id: string;
  name?: string;
  room_type?: string;
  join_rule?: string;
  world_readable: boolean;
  guest_can_join: boolean;
  num_joined_members: number;
  room_version?: string;
  encryption?: string;
  allowed_room_ids?: string[];
  membership?: string;
  children_state?: { type: string; state_key: string; content: Record<string, unknown>; sender: string; origin_server_ts: number }[];
  errcode?: string;
}

interface Page {
  rooms: Chunk[];
  next_batch?: string;
  errcode?: string;
}

/** The tree: space > [public "b-public" (order "b"), sub-space (order "a") > [restricted, private], private (no order)]. */
interface Tree {
  space: string;
  sub: string;
  pub: string;
  restricted: string;
  priv: string;
  hidden: string;
}
let tree: Tree;

const linkChild = (parent: string, child: string, content: Record<string, unknown> = {}) =>
  setState(server.baseUrl, alice, parent, "m.space.child", { via: ["localhost"], ...content }, child);

beforeAll(async () => {
  server = await startServer();
  alice = await registerUser(server.baseUrl, "alice");
  bob = await registerUser(server.baseUrl, "bob");
  const space = await createRoom(server.baseUrl, alice, { name: "Space", preset: "public_chat", creation_content: { type: "m.space" }, room_alias_name: "space" });
  const sub = await createRoom(server.baseUrl, alice, { name: "Sub", preset: "public_chat", creation_content: { type: "m.space" } });
  const pub = await createRoom(server.baseUrl, alice, { name: "b-public", preset: "public_chat" });
  const restricted = await createRoom(server.baseUrl, alice, {
    name: "Restricted",
    initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: space }] } }],
  });
  const priv = await createRoom(server.baseUrl, alice, { name: "Private", preset: "private_chat" });
  const hidden = await createRoom(server.baseUrl, alice, { name: "Hidden", preset: "private_chat" });
  await linkChild(space, pub, { order: "b", suggested: true });
  await linkChild(space, sub, { order: "a" });
  await linkChild(space, hidden);
  await linkChild(sub, restricted, { suggested: true });
  await linkChild(sub, priv);
  // A loop back to the top and a link without `via` (not a child) are ignored.
  await linkChild(sub, space);
  await setState(server.baseUrl, alice, space, "m.space.child", {}, "!gone:localhost");
  await joinRoom(server.baseUrl, bob, space);
  tree = { space, sub, pub, restricted, priv, hidden };
});
afterAll(() => server.stop());

const hierarchy = (who: Session, roomId: string, query: Record<string, string> = {}): Promise<ApiResponse<Page>> =>
  api<Page>(server.baseUrl, "GET", `/_matrix/client/v1/rooms/${enc(roomId)}/hierarchy?${new URLSearchParams(query)}`, { token: who.access_token });
const ids = (page: Page) => page.rooms.map((r) => r.room_id);

describe("hierarchy", () => {
  test("depth first, children by order then timestamp, each room once; the member sees every room", async () => {
    const res = await hierarchy(alice, tree.space);
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual([tree.space, tree.sub, tree.restricted, tree.priv, tree.pub, tree.hidden]);
    expect(res.body.next_batch).toBeUndefined();
    const top = res.body.rooms[0]!;
    expect(top).toMatchObject({ name: "Space", room_type: "m.space", join_rule: "public", world_readable: false, guest_can_join: false, num_joined_members: 2, room_version: "12" });
    expect(top.children_state!.map((e) => e.state_key).sort()).toEqual([tree.pub, tree.sub, tree.hidden].sort());
    const link = top.children_state!.find((e) => e.state_key === tree.pub)!;
    expect(link).toMatchObject({ type: "m.space.child", sender: alice.user_id, content: { via: ["localhost"], order: "b", suggested: true } });
    expect(link.origin_server_ts).toBeGreaterThan(0);
    const restricted = res.body.rooms.find((r) => r.room_id === tree.restricted)!;
    expect(restricted).toMatchObject({ join_rule: "restricted", allowed_room_ids: [tree.space], children_state: [] });
  });

  test("another user sees the public rooms and the one their space membership lets them join, not the private ones", async () => {
    const res = await hierarchy(bob, tree.space);
    expect(ids(res.body)).toEqual([tree.space, tree.sub, tree.restricted, tree.pub]);
  });

  test("suggested_only follows only suggested children; max_depth stops the walk", async () => {
    expect(ids((await hierarchy(alice, tree.space, { suggested_only: "true" })).body)).toEqual([tree.space, tree.pub]);
    expect(ids((await hierarchy(alice, tree.space, { max_depth: "0" })).body)).toEqual([tree.space]);
    expect(ids((await hierarchy(alice, tree.space, { max_depth: "1" })).body)).toEqual([tree.space, tree.sub, tree.pub, tree.hidden]);
  });

  test("pages of `limit` rooms follow each other through next_batch", async () => {
    const seen: string[] = [];
    let from: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = (await hierarchy(alice, tree.space, { limit: "4", ...(from ? { from } : {}) })).body;
      seen.push(...ids(page));
      from = page.next_batch;
      if (!from) break;
    }
    expect(seen).toEqual([tree.space, tree.sub, tree.restricted, tree.priv, tree.pub, tree.hidden]);
  });

  test("a changed suggested_only or max_depth, a bad token, or a bad limit is 400 M_INVALID_PARAM", async () => {
    const first = (await hierarchy(alice, tree.space, { limit: "1" })).body;
    expectError(await hierarchy(alice, tree.space, { from: first.next_batch!, suggested_only: "true" }), 400, "M_INVALID_PARAM");
    expectError(await hierarchy(alice, tree.space, { from: first.next_batch!, max_depth: "1" }), 400, "M_INVALID_PARAM");
    expectError(await hierarchy(alice, tree.space, { from: "nonsense" }), 400, "M_INVALID_PARAM");
    expectError(await hierarchy(alice, tree.space, { limit: "0" }), 400, "M_INVALID_PARAM");
    expectError(await hierarchy(alice, tree.space, { max_depth: "-1" }), 400, "M_INVALID_PARAM");
  });

  test("a space the user may not see, or an unknown one, is 403", async () => {
    expectError(await hierarchy(bob, tree.priv), 403, "M_FORBIDDEN");
    expectError(await hierarchy(bob, "!unknown:localhost"), 403, "M_FORBIDDEN");
  });
});

describe("room summary", () => {
  const summary = (path: string, who?: Session) => api<Chunk>(server.baseUrl, "GET", path, { token: who?.access_token });

  test("by alias and by id, with the user's membership; the unstable paths answer the same", async () => {
    const byAlias = await summary(`/_matrix/client/v1/room_summary/${enc("#space:localhost")}`, bob);
    expect(byAlias.status).toBe(200);
    expect(byAlias.body).toMatchObject({ room_id: tree.space, name: "Space", room_type: "m.space", join_rule: "public", num_joined_members: 2, membership: "join", room_version: "12" });
    expect(byAlias.body.children_state).toBeUndefined();
    const byId = await summary(`/_matrix/client/v1/room_summary/${enc(tree.pub)}`, bob);
    expect(byId.body).toMatchObject({ room_id: tree.pub, name: "b-public", membership: "leave" });
    for (const path of [`/_matrix/client/unstable/im.nheko.summary/rooms/${enc(tree.pub)}/summary`, `/_matrix/client/unstable/im.nheko.summary/summary/${enc(tree.pub)}`]) {
      expect((await summary(path, bob)).body).toEqual(byId.body);
    }
  });

  test("without a token: rooms open to anyone only, and no membership", async () => {
    const open = await summary(`/_matrix/client/v1/room_summary/${enc(tree.pub)}`);
    expect(open.status).toBe(200);
    expect(open.body.membership).toBeUndefined();
    expectError(await summary(`/_matrix/client/v1/room_summary/${enc(tree.restricted)}`), 404, "M_NOT_FOUND");
  });

  test("a private room is visible to an invitee, not to others; unknown rooms and aliases are 404", async () => {
    const secret = await createRoom(server.baseUrl, alice, { name: "Secret", preset: "private_chat" });
    expectError(await summary(`/_matrix/client/v1/room_summary/${enc(secret)}`, bob), 404, "M_NOT_FOUND");
    const invite = await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(secret)}/invite`, { token: alice.access_token, body: { user_id: bob.user_id } });
    expect(invite.status).toBe(200);
    expect((await summary(`/_matrix/client/v1/room_summary/${enc(secret)}`, bob)).body).toMatchObject({ name: "Secret", membership: "invite", join_rule: "invite" });
    expectError(await summary(`/_matrix/client/v1/room_summary/${enc("!nope:localhost")}`, bob), 404, "M_NOT_FOUND");
    expectError(await summary(`/_matrix/client/v1/room_summary/${enc("#nope:localhost")}`, bob), 404, "M_NOT_FOUND");
  });
});
