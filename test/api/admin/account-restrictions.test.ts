// Locking, suspension and shadow-bans over HTTP: the spec's admin endpoints (v1.18) and Synapse's,
// and what each restriction does to the account's requests.
import { beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, loginUser, registerUser, type Session } from "../../helpers/client";
import { serverWithAdmin } from "../../helpers/admin";
import { createRoom, enc } from "../../helpers/rooms";

const srv = serverWithAdmin();

const as = <T = Record<string, unknown>>(who: Session, method: string, path: string, body?: unknown) =>
  api<T>(srv.server.baseUrl, method, path.startsWith("/_") ? path : `/_matrix/client/v3${path}`, { token: who.access_token, body });
let txn = 0;
const send = (who: Session, roomId: string, body = "hello") => as<{ event_id: string; errcode?: string }>(who, "PUT", `/rooms/${enc(roomId)}/send/m.room.message/t${++txn}`, { msgtype: "m.text", body });

describe("locking", () => {
  test("GET and PUT /_matrix/client/v1/admin/lock; a locked account gets 401 M_USER_LOCKED (soft_logout false) but may log out", async () => {
    const u = await registerUser(srv.server.baseUrl, "lockee");
    const path = `/_matrix/client/v1/admin/lock/${enc(u.user_id)}`;
    expect((await as(srv.admin, "GET", path)).body).toEqual({ locked: false });
    expect((await as(srv.admin, "PUT", path, { locked: true })).body).toEqual({ locked: true });
    expect((await as(srv.admin, "GET", path)).body).toEqual({ locked: true });

    const refused = await as(u, "GET", "/account/whoami");
    expectError(refused, 401, "M_USER_LOCKED");
    expect(refused.body.soft_logout).toBe(false);
    expectError(await as(u, "GET", "/sync?timeout=0"), 401, "M_USER_LOCKED");
    // The right password learns the lock; a wrong one learns nothing.
    const login = await api(srv.server.baseUrl, "POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: "lockee" }, password: "correct horse battery staple" },
    });
    expectError(login, 401, "M_USER_LOCKED");
    const wrong = await api(srv.server.baseUrl, "POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: "lockee" }, password: "wrong" },
    });
    expectError(wrong, 403, "M_FORBIDDEN");

    await as(srv.admin, "PUT", path, { locked: false });
    expect((await as(u, "GET", "/account/whoami")).status).toBe(200);
    await as(srv.admin, "PUT", path, { locked: true });
    expect((await as(u, "POST", "/logout", {})).status).toBe(200);
  });

  test("Synapse's PUT /v2/users with locked locks too", async () => {
    const u = await registerUser(srv.server.baseUrl, "lockee2");
    await as(srv.admin, "PUT", `/_synapse/admin/v2/users/${enc(u.user_id)}`, { locked: true });
    expectError(await as(u, "GET", "/account/whoami"), 401, "M_USER_LOCKED");
    const list = await as<{ users: { name: string; locked: boolean }[] }>(srv.admin, "GET", "/_synapse/admin/v2/users?locked=true");
    expect(list.body.users.map((x) => x.name)).toContain(u.user_id);
  });

  test("unknown users are 404, other servers' 400, non-admins 403", async () => {
    expectError(await as(srv.admin, "GET", `/_matrix/client/v1/admin/lock/${enc("@nobody:localhost")}`), 404, "M_NOT_FOUND");
    expectError(await as(srv.admin, "PUT", `/_matrix/client/v1/admin/suspend/${enc("@x:elsewhere.org")}`, { suspended: true }), 400, "M_INVALID_PARAM");
    const u = await registerUser(srv.server.baseUrl, "nosy");
    expectError(await as(u, "PUT", `/_matrix/client/v1/admin/lock/${enc(srv.admin.user_id)}`, { locked: true }), 403, "M_FORBIDDEN");
    expect((await as(srv.admin, "GET", "/account/whoami")).status).toBe(200);
  });
});

describe("suspension", () => {
  let u: Session;
  let roomId: string;
  let otherRoom: string;
  let ownEvent: string;
  beforeAll(async () => {
    u = await registerUser(srv.server.baseUrl, "suspect");
    roomId = await createRoom(srv.server.baseUrl, srv.admin, { preset: "public_chat" });
    otherRoom = await createRoom(srv.server.baseUrl, srv.admin, { preset: "public_chat" });
    await as(u, "POST", `/join/${enc(roomId)}`, {});
    ownEvent = (await send(u, roomId, "before")).body.event_id;
    const res = await as(srv.admin, "PUT", `/_matrix/client/v1/admin/suspend/${enc(u.user_id)}`, { suspended: true });
    expect(res.body).toEqual({ suspended: true });
  });

  test("GET shows it; the account still reads and syncs", async () => {
    expect((await as(srv.admin, "GET", `/_matrix/client/v1/admin/suspend/${enc(u.user_id)}`)).body).toEqual({ suspended: true });
    expect((await as(u, "GET", "/sync?timeout=0")).status).toBe(200);
    expect((await as(u, "GET", `/rooms/${enc(roomId)}/messages?dir=b`)).status).toBe(200);
  });

  test("sending, state, joining, inviting, creating rooms and profile changes are 403 M_USER_SUSPENDED", async () => {
    expectError(await send(u, roomId), 403, "M_USER_SUSPENDED");
    expectError(await as(u, "PUT", `/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: "x" }), 403, "M_USER_SUSPENDED");
    expectError(await as(u, "POST", `/join/${enc(otherRoom)}`, {}), 403, "M_USER_SUSPENDED");
    expectError(await as(u, "POST", `/rooms/${enc(roomId)}/invite`, { user_id: srv.admin.user_id }), 403, "M_USER_SUSPENDED");
    expectError(await as(u, "POST", "/createRoom", {}), 403, "M_USER_SUSPENDED");
    expectError(await as(u, "PUT", `/profile/${enc(u.user_id)}/displayname`, { displayname: "Spam" }), 403, "M_USER_SUSPENDED");
    expectError(await as(u, "DELETE", `/profile/${enc(u.user_id)}/avatar_url`), 403, "M_USER_SUSPENDED");
  });

  test("redacting its own events and leaving stay open", async () => {
    const redacted = await as(u, "PUT", `/rooms/${enc(roomId)}/redact/${enc(ownEvent)}/r1`, {});
    expect(redacted.status).toBe(200);
    const adminEvent = (await send(srv.admin, roomId, "admin's")).body.event_id;
    expectError(await as(u, "PUT", `/rooms/${enc(roomId)}/redact/${enc(adminEvent)}/r2`, {}), 403, "M_USER_SUSPENDED");
    expect((await as(u, "POST", `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
  });

  test("Synapse's PUT /v1/suspend lifts it; the account sends again", async () => {
    const v = await registerUser(srv.server.baseUrl, "suspect2");
    const room = await createRoom(srv.server.baseUrl, v);
    await as(srv.admin, "PUT", `/_synapse/admin/v1/suspend/${enc(v.user_id)}`, { suspend: true });
    expectError(await send(v, room), 403, "M_USER_SUSPENDED");
    const res = await as(srv.admin, "PUT", `/_synapse/admin/v1/suspend/${enc(v.user_id)}`, { suspend: false });
    expect(res.body).toEqual({ [`user_${v.user_id}_suspended`]: false });
    expect((await send(v, room)).status).toBe(200);
  });
});

describe("shadow-ban", () => {
  test("messages, invites and typing are answered as sent but nobody receives them; lifting it restores delivery", async () => {
    const spammer = await registerUser(srv.server.baseUrl, "spammer");
    const witness = await registerUser(srv.server.baseUrl, "witness");
    const roomId = await createRoom(srv.server.baseUrl, witness, { preset: "public_chat" });
    await as(spammer, "POST", `/join/${enc(roomId)}`, {});
    expect((await as(srv.admin, "POST", `/_synapse/admin/v1/users/${enc(spammer.user_id)}/shadow_ban`)).status).toBe(200);
    expect((await as<{ shadow_banned: boolean }>(srv.admin, "GET", `/_synapse/admin/v2/users/${enc(spammer.user_id)}`)).body.shadow_banned).toBe(true);

    const hidden = await send(spammer, roomId, "buy now");
    expect(hidden.status).toBe(200);
    expect(hidden.body.event_id).toMatch(/^\$/);
    const victim = await registerUser(srv.server.baseUrl, "invitee");
    expect((await as(spammer, "POST", `/rooms/${enc(roomId)}/invite`, { user_id: victim.user_id })).status).toBe(200);
    expectError(await as(witness, "GET", `/rooms/${enc(roomId)}/event/${enc(hidden.body.event_id)}`), 404, "M_NOT_FOUND");
    const invitee = await as(witness, "GET", `/rooms/${enc(roomId)}/state/m.room.member/${enc(victim.user_id)}`);
    expectError(invitee, 404, "M_NOT_FOUND");
    // Typing is accepted and shown to nobody: the witness's next sync carries no typing of the spammer.
    const since = (await as<{ next_batch: string }>(witness, "GET", "/sync?timeout=0")).body.next_batch;
    expect((await as(spammer, "PUT", `/rooms/${enc(roomId)}/typing/${enc(spammer.user_id)}`, { typing: true, timeout: 30000 })).status).toBe(200);
    await send(witness, roomId, "a marker after the typing");
    const after = await as<{ rooms: { join: Record<string, { ephemeral: { events: { type: string; content: { user_ids?: string[] } }[] } }> } }>(witness, "GET", `/sync?timeout=0&since=${since}`);
    const typing = after.body.rooms.join[roomId]?.ephemeral.events.filter((e) => e.type === "m.typing") ?? [];
    expect(typing.flatMap((e) => e.content.user_ids ?? [])).not.toContain(spammer.user_id);

    await as(srv.admin, "DELETE", `/_synapse/admin/v1/users/${enc(spammer.user_id)}/shadow_ban`);
    const seen = await send(spammer, roomId, "sorry");
    expect((await as(witness, "GET", `/rooms/${enc(roomId)}/event/${enc(seen.body.event_id)}`)).status).toBe(200);
  });
});
