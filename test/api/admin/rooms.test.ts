// The room endpoints of the admin API over HTTP: list with search and order, details, members,
// state, blocking, and making a local user a room admin.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appserviceFilesToml, writeRegistration } from "../../helpers/appservice";
import { api, expectError, registerUser, type Session } from "../../helpers/client";
import { serverWithAdmin } from "../../helpers/admin";
import { createRoom, enc } from "../../helpers/rooms";

// An appservice that publishes rooms in a list of its own, which a shutdown empties too.
const registrations = mkdtempSync(join(tmpdir(), "conduit-admin-rooms-"));
afterAll(() => rmSync(registrations, { recursive: true, force: true }));
const srv = serverWithAdmin({ toml: appserviceFilesToml([writeRegistration(registrations, { id: "bridge" })]) });
const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, token = srv.admin.access_token) =>
  api<T>(srv.server.baseUrl, method, path, { token, body });
const ROOMS = "/_synapse/admin/v1/rooms";

interface AdminRoom {
  room_id: string;
  name: string | null;
  canonical_alias: string | null;
  joined_members: number;
  joined_local_members: number;
  creator: string;
  public: boolean;
  join_rules: string | null;
  encryption: string | null;
}

let owner: Session;
let guest: Session;
let big: string;
let small: string;
beforeAll(async () => {
  owner = await registerUser(srv.server.baseUrl, "roomowner");
  guest = await registerUser(srv.server.baseUrl, "roomguest");
  big = await createRoom(srv.server.baseUrl, owner, { name: "Zebra lounge", preset: "public_chat", room_alias_name: "zebra", visibility: "public" });
  await api(srv.server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(big)}`, { token: guest.access_token, body: {} });
  small = await createRoom(srv.server.baseUrl, owner, { name: "Aardvark den", preset: "private_chat" });
});

describe("reading rooms", () => {
  test("the list holds every room, biggest first by default; search_term matches name, alias or id", async () => {
    const all = await call<{ rooms: AdminRoom[]; total_rooms: number; offset: number }>("GET", ROOMS);
    expect(all.status).toBe(200);
    const ids = all.body.rooms.map((r) => r.room_id);
    expect(ids.indexOf(big)).toBeLessThan(ids.indexOf(small));
    expect(all.body.total_rooms).toBe(ids.length);
    const zebra = all.body.rooms.find((r) => r.room_id === big)!;
    expect(zebra).toMatchObject({ name: "Zebra lounge", canonical_alias: "#zebra:localhost", joined_members: 2, joined_local_members: 2, creator: owner.user_id, public: true, join_rules: "public" });
    const found = await call<{ rooms: AdminRoom[] }>("GET", `${ROOMS}?search_term=aardvark`);
    expect(found.body.rooms.map((r) => r.room_id)).toEqual([small]);
    const byAlias = await call<{ rooms: AdminRoom[] }>("GET", `${ROOMS}?search_term=%23zebra`);
    expect(byAlias.body.rooms.map((r) => r.room_id)).toEqual([big]);
  });

  test("order_by name and dir, from and limit page with next_batch", async () => {
    const byName = await call<{ rooms: AdminRoom[]; next_batch?: number }>("GET", `${ROOMS}?order_by=name&limit=1&search_term=a`);
    expect(byName.body.rooms[0]!.name).toBe("Aardvark den");
    expect(byName.body.next_batch).toBe(1);
    const back = await call<{ rooms: AdminRoom[] }>("GET", `${ROOMS}?order_by=name&dir=b`);
    const ours = back.body.rooms.filter((r) => r.room_id === big || r.room_id === small);
    expect(ours.map((r) => r.name)).toEqual(["Zebra lounge", "Aardvark den"]);
    expectError(await call("GET", `${ROOMS}?order_by=secret`), 400, "M_INVALID_PARAM");
  });

  test("details, members and state of one room; an unknown room is 404", async () => {
    const details = await call<AdminRoom & { topic: string | null; joined_local_devices: number }>("GET", `${ROOMS}/${enc(big)}`);
    expect(details.body).toMatchObject({ room_id: big, name: "Zebra lounge", joined_local_devices: 2 });
    const members = await call<{ members: string[]; total: number }>("GET", `${ROOMS}/${enc(big)}/members`);
    expect(members.body.members.sort()).toEqual([guest.user_id, owner.user_id].sort());
    expect(members.body.total).toBe(2);
    const state = await call<{ state: { type: string; state_key: string }[] }>("GET", `${ROOMS}/${enc(big)}/state`);
    expect(state.body.state.map((e) => e.type)).toContain("m.room.create");
    expect(state.body.state.find((e) => e.type === "m.room.name")).toMatchObject({ state_key: "" });
    expectError(await call("GET", `${ROOMS}/${enc("!nope:localhost")}`), 404, "M_NOT_FOUND");
  });

  test("non-admins are refused", async () => {
    expectError(await call("GET", ROOMS, undefined, owner.access_token), 403, "M_FORBIDDEN");
    expectError(await call("GET", `${ROOMS}/${enc(big)}/state`, undefined, owner.access_token), 403, "M_FORBIDDEN");
  });
});

describe("blocking", () => {
  test("a blocked room takes no joins from local users until unblocked", async () => {
    const room = await createRoom(srv.server.baseUrl, owner, { preset: "public_chat" });
    expect((await call("GET", `${ROOMS}/${enc(room)}/block`)).body).toEqual({ block: false });
    expect((await call("PUT", `${ROOMS}/${enc(room)}/block`, { block: true })).body).toEqual({ block: true });
    expect((await call("GET", `${ROOMS}/${enc(room)}/block`)).body).toEqual({ block: true, user_id: srv.admin.user_id });
    const joiner = await registerUser(srv.server.baseUrl, "blockedjoiner");
    expectError(await api(srv.server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(room)}`, { token: joiner.access_token, body: {} }), 403, "M_FORBIDDEN");
    await call("PUT", `${ROOMS}/${enc(room)}/block`, { block: false });
    expect((await api(srv.server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(room)}`, { token: joiner.access_token, body: {} })).status).toBe(200);
  });
});

describe("make_room_admin", () => {
  test("the admin joins a private room with the creator's power", async () => {
    const room = await createRoom(srv.server.baseUrl, owner, { preset: "private_chat", room_version: "10" });
    expect((await call("POST", `${ROOMS}/${enc(room)}/make_room_admin`, {})).status).toBe(200);
    const member = await call<{ membership: string }>("GET", `/_matrix/client/v3/rooms/${enc(room)}/state/m.room.member/${enc(srv.admin.user_id)}`);
    expect(member.body.membership).toBe("join");
    const levels = await call<{ users: Record<string, number> }>("GET", `/_matrix/client/v3/rooms/${enc(room)}/state/m.room.power_levels/`);
    expect(levels.body.users[srv.admin.user_id]).toBe(100);
  });

  test("in a v12 room (creators above all levels) another local user gets 100; a room without a local member able to grant is 400", async () => {
    const room = await createRoom(srv.server.baseUrl, owner, { preset: "public_chat", room_version: "12" });
    const res = await call("POST", `${ROOMS}/${enc(room)}/make_room_admin`, { user_id: guest.user_id });
    expect(res.status).toBe(200);
    const levels = await call<{ users: Record<string, number> }>("GET", `/_matrix/client/v3/rooms/${enc(room)}/state/m.room.power_levels/`, undefined, owner.access_token);
    expect(levels.body.users[guest.user_id]).toBe(100);
    const member = await call<{ membership: string }>("GET", `/_matrix/client/v3/rooms/${enc(room)}/state/m.room.member/${enc(guest.user_id)}`, undefined, owner.access_token);
    expect(member.body.membership).toBe("join");
    expectError(await call("POST", `${ROOMS}/${enc(room)}/make_room_admin`, { user_id: "@x:elsewhere.org" }), 400, "M_INVALID_PARAM");
  });
});

describe("deleting rooms", () => {
  test("v2 DELETE runs in the background: members leave, aliases go, the room is purged and blocked; both status endpoints report it", async () => {
    const member = await registerUser(srv.server.baseUrl, "deletemember");
    const room = await createRoom(srv.server.baseUrl, owner, { preset: "public_chat", room_alias_name: "doomed" });
    await api(srv.server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(room)}`, { token: member.access_token, body: {} });
    const started = await call<{ delete_id: string }>("DELETE", `/_synapse/admin/v2/rooms/${enc(room)}`, { block: true });
    expect(started.status).toBe(200);
    const id = started.body.delete_id;
    let status: { status: string; shutdown_room: { kicked_users: string[]; local_aliases: string[] } } | undefined;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      status = (await call<typeof status & object>("GET", `/_synapse/admin/v2/rooms/delete_status/${id}`)).body;
      if (status.status === "complete" || status.status === "failed") break;
    }
    expect(status!.status).toBe("complete");
    expect(status!.shutdown_room.kicked_users.sort()).toEqual([member.user_id, owner.user_id].sort());
    expect(status!.shutdown_room.local_aliases).toEqual(["#doomed:localhost"]);
    const byRoom = await call<{ results: { delete_id: string; room_id: string; status: string }[] }>("GET", `/_synapse/admin/v2/rooms/${enc(room)}/delete_status`);
    expect(byRoom.body.results).toEqual([expect.objectContaining({ delete_id: id, room_id: room, status: "complete" })]);
    expectError(await call("GET", `${ROOMS}/${enc(room)}`), 404, "M_NOT_FOUND");
    expect((await call("GET", `${ROOMS}/${enc(room)}/block`)).body).toEqual({ block: true, user_id: srv.admin.user_id });
    const joined = await api<{ joined_rooms: string[] }>(srv.server.baseUrl, "GET", "/_matrix/client/v3/joined_rooms", { token: member.access_token });
    expect(joined.body.joined_rooms).not.toContain(room);
    expect((await api(srv.server.baseUrl, "GET", `/_matrix/client/v3/directory/room/${enc("#doomed:localhost")}`)).status).toBe(404);
  });

  test("v1 DELETE with purge false and a replacement room: members move, the old room's data stays", async () => {
    const member = await registerUser(srv.server.baseUrl, "movedmember");
    const room = await createRoom(srv.server.baseUrl, owner, { preset: "public_chat", room_alias_name: "oldplace" });
    await api(srv.server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(room)}`, { token: member.access_token, body: {} });
    const bridgeList = `/_matrix/client/v3/directory/list/appservice/net/${enc(room)}`;
    expect((await api(srv.server.baseUrl, "PUT", bridgeList, { token: "as-bridge", body: { visibility: "public" } })).status).toBe(200);
    const res = await call<{ kicked_users: string[]; new_room_id: string; local_aliases: string[] }>("DELETE", `${ROOMS}/${enc(room)}`, {
      purge: false,
      new_room_user_id: srv.admin.user_id,
      room_name: "Moved",
      message: "This room moved",
    });
    expect(res.status).toBe(200);
    expect(res.body.kicked_users.sort()).toEqual([member.user_id, owner.user_id].sort());
    const newRoom = res.body.new_room_id;
    const joined = await api<{ joined_rooms: string[] }>(srv.server.baseUrl, "GET", "/_matrix/client/v3/joined_rooms", { token: member.access_token });
    expect(joined.body.joined_rooms).toContain(newRoom);
    expect(joined.body.joined_rooms).not.toContain(room);
    expect((await api<{ room_id: string }>(srv.server.baseUrl, "GET", `/_matrix/client/v3/directory/room/${enc("#oldplace:localhost")}`)).body.room_id).toBe(newRoom);
    expect((await call<{ joined_members: number }>("GET", `${ROOMS}/${enc(room)}`)).body.joined_members).toBe(0);
    const listed = await api<{ chunk: { room_id: string }[] }>(srv.server.baseUrl, "POST", "/_matrix/client/v3/publicRooms", {
      token: member.access_token,
      body: { third_party_instance_id: "bridge|net" },
    });
    expect(listed.body.chunk).toEqual([]);
  });

  test("unknown rooms are 404, unknown deletions too; non-admins are refused", async () => {
    expectError(await call("DELETE", `/_synapse/admin/v2/rooms/${enc("!unknown:localhost")}`, {}), 404, "M_NOT_FOUND");
    expectError(await call("GET", "/_synapse/admin/v2/rooms/delete_status/nope"), 404, "M_NOT_FOUND");
    expectError(await call("DELETE", `/_synapse/admin/v2/rooms/${enc(big)}`, {}, owner.access_token), 403, "M_FORBIDDEN");
  });
});
