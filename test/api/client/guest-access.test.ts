// Spec "Guest access" over real HTTP, with `allow_guest_registration = true`: guest accounts
// without a password, limited to the endpoints the spec allows guests, joining only rooms whose
// m.room.guest_access is can_join (and leaving when it stops being so), and upgraded to a full
// account by registering with the guest's token.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, registerUser, type Session } from "../../helpers/client";
import { createRoom, enc, sendMessage, setState } from "../../helpers/rooms";
import { startServer, type TestServer } from "../../helpers/server";
import { until } from "../../helpers/federated-rooms";

let server: TestServer;
let alice: Session;
beforeAll(async () => {
  server = await startServer({ toml: "allow_guest_registration = true" });
  alice = await registerUser(server.baseUrl, "alice");
});
afterAll(() => server.stop());

const v3 = (who: Session, method: string, path: string, body?: unknown) =>
  api(server.baseUrl, method, `/_matrix/client/v3${path}`, { token: who.access_token, body });

async function registerGuest(): Promise<Session> {
  const res = await api<Session>(server.baseUrl, "POST", "/_matrix/client/v3/register?kind=guest", { body: {} });
  expect(res.status).toBe(200);
  return res.body;
}

describe("guest registration", () => {
  test("kind=guest needs no password or UIA, and the account is a guest", async () => {
    const guest = await registerGuest();
    expect(guest.user_id).toMatch(/^@[^:]+:localhost$/);
    expect(typeof guest.access_token).toBe("string");
    expect((await v3(guest, "GET", "/account/whoami")).body).toEqual({ user_id: guest.user_id, device_id: guest.device_id, is_guest: true });
  });

  test("is refused when allow_guest_registration is off (the default)", async () => {
    const other = await startServer();
    try {
      expectError(await api(other.baseUrl, "POST", "/_matrix/client/v3/register?kind=guest", { body: {} }), 403, "M_FORBIDDEN");
    } finally {
      await other.stop();
    }
  });
});

describe("what guests may call", () => {
  test("the spec's endpoints answer; others are 403 M_GUEST_ACCESS_FORBIDDEN", async () => {
    const guest = await registerGuest();
    expect((await v3(guest, "GET", "/sync?timeout=0")).status).toBe(200);
    expect((await v3(guest, "GET", "/devices")).status).toBe(200);
    expect((await v3(guest, "PUT", `/profile/${enc(guest.user_id)}/displayname`, { displayname: "Visitor" })).status).toBe(200);
    for (const [method, path, body] of [
      ["POST", "/createRoom", {}],
      ["GET", "/joined_rooms", undefined],
      ["PUT", `/profile/${enc(guest.user_id)}/avatar_url`, { avatar_url: "mxc://localhost/x" }],
      ["GET", "/events?timeout=0", undefined],
      ["GET", "/initialSync", undefined],
      ["POST", "/account/password", { new_password: "x" }],
    ] as const) {
      expectError(await v3(guest, method, path, body), 403, "M_GUEST_ACCESS_FORBIDDEN");
    }
  });

  test("room previews: a world-readable room's events and initial sync", async () => {
    const guest = await registerGuest();
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    await setState(server.baseUrl, alice, roomId, "m.room.history_visibility", { history_visibility: "world_readable" });
    const before = await sendMessage(server.baseUrl, alice, roomId, "before");
    const initial = await v3(guest, "GET", `/rooms/${enc(roomId)}/initialSync`);
    expect(initial.status).toBe(200);
    const messages = initial.body.messages as { end: string; chunk: { event_id: string }[] };
    expect(messages.chunk.map((e) => e.event_id)).toContain(before);
    const after = await sendMessage(server.baseUrl, alice, roomId, "after");
    const preview = await v3(guest, "GET", `/events?room_id=${enc(roomId)}&timeout=5000&from=${encodeURIComponent(messages.end)}`);
    expect(preview.status).toBe(200);
    const chunk = preview.body.chunk as { event_id: string; type: string }[];
    expect(chunk.filter((e) => e.type === "m.room.message").map((e) => e.event_id)).toEqual([after]);
  });
});

describe("guests in rooms", () => {
  test("a guest joins only while m.room.guest_access is can_join, and leaves when it stops", async () => {
    const guest = await registerGuest();
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    expectError(await v3(guest, "POST", `/join/${enc(roomId)}`, {}), 403, "M_GUEST_ACCESS_FORBIDDEN");
    await setState(server.baseUrl, alice, roomId, "m.room.guest_access", { guest_access: "can_join" });
    expect((await v3(guest, "POST", `/rooms/${enc(roomId)}/join`, {})).status).toBe(200);
    expect((await v3(guest, "PUT", `/rooms/${enc(roomId)}/send/m.room.message/g1`, { msgtype: "m.text", body: "hi" })).status).toBe(200);
    await setState(server.baseUrl, alice, roomId, "m.room.guest_access", { guest_access: "forbidden" });
    const left = await until("the guest's leave", async () => {
      const member = await v3(alice, "GET", `/rooms/${enc(roomId)}/state/m.room.member/${enc(guest.user_id)}`);
      return member.body.membership === "leave" ? true : undefined;
    });
    expect(left).toBe(true);
  });
});

describe("upgrading a guest", () => {
  test("registering with the guest's token and localpart keeps the user id and its rooms", async () => {
    const guest = await registerGuest();
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    await setState(server.baseUrl, alice, roomId, "m.room.guest_access", { guest_access: "can_join" });
    expect((await v3(guest, "POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
    const localpart = guest.user_id.slice(1, guest.user_id.indexOf(":"));
    const body = { username: localpart, password: "a long enough password", guest_access_token: guest.access_token, auth: { type: "m.login.dummy" } };
    const upgraded = await api<Session>(server.baseUrl, "POST", "/_matrix/client/v3/register", { body });
    expect(upgraded.status).toBe(200);
    expect(upgraded.body.user_id).toBe(guest.user_id);
    expect((await v3(upgraded.body, "GET", "/account/whoami")).body.is_guest).toBe(false);
    expect((await v3(upgraded.body, "GET", "/joined_rooms")).body).toEqual({ joined_rooms: [roomId] });
    const login = await api(server.baseUrl, "POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password: body.password },
    });
    expect(login.status).toBe(200);
    // Done once: the account is no longer a guest.
    expect((await api(server.baseUrl, "POST", "/_matrix/client/v3/register", { body })).status).toBe(403);
  });

  test("a guest cannot take another user's name, and the username is required", async () => {
    const [one, two] = [await registerGuest(), await registerGuest()];
    const localpartOne = one.user_id.slice(1, one.user_id.indexOf(":"));
    const auth = { type: "m.login.dummy" };
    const other = await api(server.baseUrl, "POST", "/_matrix/client/v3/register", {
      body: { username: localpartOne, password: "pw-pw-pw-pw", guest_access_token: two.access_token, auth },
    });
    expectError(other, 403, "M_FORBIDDEN");
    const full = await api(server.baseUrl, "POST", "/_matrix/client/v3/register", {
      body: { username: "alice", password: "pw-pw-pw-pw", guest_access_token: one.access_token, auth },
    });
    expectError(full, 403, "M_FORBIDDEN");
    const nameless = await api(server.baseUrl, "POST", "/_matrix/client/v3/register", {
      body: { password: "pw-pw-pw-pw", guest_access_token: one.access_token, auth },
    });
    expectError(nameless, 400, "M_MISSING_PARAM");
    expect((await v3(one, "GET", "/account/whoami")).body.is_guest).toBe(true);
  });
});
