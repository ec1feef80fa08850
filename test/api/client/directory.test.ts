// Aliases and the published room directory over HTTP: alias CRUD and its errors, a room's aliases,
// canonical alias checks (M_BAD_ALIAS), publication, and /publicRooms paging and search.
import { describe, expect, test } from "bun:test";
import { api, registerUser } from "../../helpers/client";
import { startServer } from "../../helpers/server";
import { serverWithUsers, createRoom, enc, joinRoom } from "../../helpers/rooms";

const { server, alice, bob } = serverWithUsers(["alice", "bob"]);

const aliasPath = (alias: string) => `/_matrix/client/v3/directory/room/${enc(alias)}`;

describe("aliases", () => {
  test("create, resolve, list and delete an alias; duplicates 409; unknown 404", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const put = await api(server.baseUrl, "PUT", aliasPath("#mine:localhost"), { token: alice.access_token, body: { room_id: roomId } });
    expect(put.status).toBe(200);
    const dup = await api(server.baseUrl, "PUT", aliasPath("#mine:localhost"), { token: alice.access_token, body: { room_id: roomId } });
    expect(dup.status).toBe(409);
    const got = await api(server.baseUrl, "GET", aliasPath("#mine:localhost"));
    expect(got.body).toEqual({ room_id: roomId, servers: ["localhost"] });
    const list = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/aliases`, { token: alice.access_token });
    expect(list.body).toEqual({ aliases: ["#mine:localhost"] });
    const outsider = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/aliases`, { token: bob.access_token });
    expect(outsider.status).toBe(403);
    const notOwner = await api(server.baseUrl, "DELETE", aliasPath("#mine:localhost"), { token: bob.access_token });
    expect(notOwner.status).toBe(403);
    expect((await api(server.baseUrl, "DELETE", aliasPath("#mine:localhost"), { token: alice.access_token })).status).toBe(200);
    const gone = await api(server.baseUrl, "GET", aliasPath("#mine:localhost"));
    expect(gone.status).toBe(404);
    expect(gone.body.errcode).toBe("M_NOT_FOUND");
    const goneDelete = await api(server.baseUrl, "DELETE", aliasPath("#mine:localhost"), { token: alice.access_token });
    expect(goneDelete.status).toBe(404);
  });

  test("aliases must be well-formed and on this server; the room must exist", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const bad = await api(server.baseUrl, "PUT", aliasPath("not-an-alias"), { token: alice.access_token, body: { room_id: roomId } });
    expect(bad.status).toBe(400);
    const remote = await api(server.baseUrl, "PUT", aliasPath("#x:elsewhere.example"), { token: alice.access_token, body: { room_id: roomId } });
    expect(remote.status).toBe(400);
    const noRoom = await api(server.baseUrl, "PUT", aliasPath("#x:localhost"), { token: alice.access_token, body: { room_id: "!none:localhost" } });
    expect(noRoom.status).toBe(404);
  });

  test("m.room.canonical_alias must name aliases of this room: 400 M_BAD_ALIAS otherwise", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const other = await createRoom(server.baseUrl, alice, { room_alias_name: "other" });
    const statePath = `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.canonical_alias/`;
    const unknown = await api(server.baseUrl, "PUT", statePath, { token: alice.access_token, body: { alias: "#missing:localhost" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errcode).toBe("M_BAD_ALIAS");
    const elsewhere = await api(server.baseUrl, "PUT", statePath, { token: alice.access_token, body: { alt_aliases: ["#other:localhost"] } });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.errcode).toBe("M_BAD_ALIAS");
    expect(other).not.toBe(roomId);
    await api(server.baseUrl, "PUT", aliasPath("#right:localhost"), { token: alice.access_token, body: { room_id: roomId } });
    const ok = await api(server.baseUrl, "PUT", statePath, { token: alice.access_token, body: { alias: "#right:localhost", alt_aliases: [] } });
    expect(ok.status).toBe(200);
  });

  test("deleting an alias the canonical alias names takes it out of the event; the rest stays", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { room_alias_name: "main-name" });
    await api(server.baseUrl, "PUT", aliasPath("#alt-name:localhost"), { token: alice.access_token, body: { room_id: roomId } });
    await api(server.baseUrl, "PUT", aliasPath("#other-alt:localhost"), { token: alice.access_token, body: { room_id: roomId } });
    const statePath = `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.canonical_alias/`;
    const content = { alias: "#main-name:localhost", alt_aliases: ["#alt-name:localhost", "#other-alt:localhost"] };
    expect((await api(server.baseUrl, "PUT", statePath, { token: alice.access_token, body: content })).status).toBe(200);
    const current = async () => (await api(server.baseUrl, "GET", statePath, { token: alice.access_token })).body;
    expect((await api(server.baseUrl, "DELETE", aliasPath("#alt-name:localhost"), { token: alice.access_token })).status).toBe(200);
    expect(await current()).toEqual({ alias: "#main-name:localhost", alt_aliases: ["#other-alt:localhost"] });
    expect((await api(server.baseUrl, "DELETE", aliasPath("#main-name:localhost"), { token: alice.access_token })).status).toBe(200);
    expect(await current()).toEqual({ alt_aliases: ["#other-alt:localhost"] });
  });

  test("the alias's creator without power may delete it; the canonical alias then stays as it was", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    await joinRoom(server.baseUrl, bob, roomId);
    expect((await api(server.baseUrl, "PUT", aliasPath("#bobs-name:localhost"), { token: bob.access_token, body: { room_id: roomId } })).status).toBe(200);
    const statePath = `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.canonical_alias/`;
    expect((await api(server.baseUrl, "PUT", statePath, { token: alice.access_token, body: { alias: "#bobs-name:localhost" } })).status).toBe(200);
    expect((await api(server.baseUrl, "DELETE", aliasPath("#bobs-name:localhost"), { token: bob.access_token })).status).toBe(200);
    expect((await api(server.baseUrl, "GET", aliasPath("#bobs-name:localhost"))).status).toBe(404);
    expect((await api(server.baseUrl, "GET", statePath, { token: alice.access_token })).body).toEqual({ alias: "#bobs-name:localhost" });
  });
});

describe("published room directory", () => {
  test("visibility can be read and, with power, set", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    const path = `/_matrix/client/v3/directory/list/room/${enc(roomId)}`;
    expect((await api(server.baseUrl, "GET", path)).body).toEqual({ visibility: "private" });
    await joinRoom(server.baseUrl, bob, roomId);
    const refused = await api(server.baseUrl, "PUT", path, { token: bob.access_token, body: { visibility: "public" } });
    expect(refused.status).toBe(403);
    expect((await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: { visibility: "public" } })).status).toBe(200);
    expect((await api(server.baseUrl, "GET", path)).body).toEqual({ visibility: "public" });
    const unknown = await api(server.baseUrl, "GET", `/_matrix/client/v3/directory/list/room/${enc("!no:localhost")}`);
    expect(unknown.status).toBe(404);
  });

  test("/publicRooms pages with since/next_batch, counts rooms, and searches", async () => {
    const fresh = await startServer();
    try {
      const owner = await registerUser(fresh.baseUrl, "owner");
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(await createRoom(fresh.baseUrl, owner, { visibility: "public", name: `Room ${i}`, topic: i === 3 ? "all about cheese" : "other" }));
      }
      await createRoom(fresh.baseUrl, owner, { name: "hidden" });
      const seen: string[] = [];
      let since: string | undefined;
      for (;;) {
        const res = await api<{ chunk: Array<{ room_id: string; name: string; num_joined_members: number; world_readable: boolean; guest_can_join: boolean; join_rule: string }>; next_batch?: string; total_room_count_estimate: number }>(
          fresh.baseUrl,
          "GET",
          `/_matrix/client/v3/publicRooms?limit=2${since ? `&since=${enc(since)}` : ""}`,
        );
        expect(res.body.total_room_count_estimate).toBe(5);
        expect(res.body.chunk.length).toBeLessThanOrEqual(2);
        for (const room of res.body.chunk) {
          expect(room).toMatchObject({ num_joined_members: 1, world_readable: false, guest_can_join: false, join_rule: "public" });
        }
        seen.push(...res.body.chunk.map((r) => r.room_id));
        if (!res.body.next_batch) break;
        since = res.body.next_batch;
      }
      expect(seen.sort()).toEqual([...ids].sort());
      const search = await api<{ chunk: Array<{ room_id: string; topic: string }> }>(fresh.baseUrl, "POST", "/_matrix/client/v3/publicRooms", {
        token: owner.access_token,
        body: { filter: { generic_search_term: "CHEESE" } },
      });
      expect(search.body.chunk.map((r) => r.room_id)).toEqual([ids[3]!]);
      const anon = await api(fresh.baseUrl, "POST", "/_matrix/client/v3/publicRooms", { body: {} });
      expect(anon.status).toBe(401);
      const badSince = await api(fresh.baseUrl, "GET", "/_matrix/client/v3/publicRooms?since=zzz");
      expect(badSince.status).toBe(400);
    } finally {
      await fresh.stop();
    }
  });
});
