// The user endpoints of the Synapse-compatible admin API over HTTP: who may call them, the list
// and its filters, query, create or modify, deactivation, passwords, the admin flag, devices,
// joined rooms and whois.
import { beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, loginUser, registerUser, type Session } from "../../helpers/client";
import { serverWithAdmin } from "../../helpers/admin";
import { createRoom, enc } from "../../helpers/rooms";

interface AdminUser {
  name: string;
  admin: boolean;
  deactivated: boolean;
  is_guest: boolean;
  displayname: string | null;
  locked: boolean;
  suspended: boolean;
  shadow_banned: boolean;
  creation_ts: number;
}

const srv = serverWithAdmin();

const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, token = srv.admin.access_token) =>
  api<T>(srv.server.baseUrl, method, path, { token, body });
const user = (id: string) => `/_synapse/admin/v2/users/${enc(id)}`;

test("server_version names this server, without a token", async () => {
  const res = await api<{ server_version: string }>(srv.server.baseUrl, "GET", "/_synapse/admin/v1/server_version");
  expect(res.status).toBe(200);
  expect(res.body.server_version).toMatch(/^conduit \d+\.\d+\.\d+/);
});

test("a non-admin gets 403 M_FORBIDDEN everywhere; without a token 401", async () => {
  const eve = await registerUser(srv.server.baseUrl, "eve-non-admin");
  for (const [method, path, body] of [
    ["GET", "/_synapse/admin/v2/users"],
    ["GET", user(srv.admin.user_id)],
    ["PUT", user("@new:localhost"), { password: "x" }],
    ["POST", `/_synapse/admin/v1/deactivate/${enc(srv.admin.user_id)}`, {}],
    ["PUT", `/_synapse/admin/v1/users/${enc(eve.user_id)}/admin`, { admin: true }],
    ["GET", `/_matrix/client/v1/admin/lock/${enc(srv.admin.user_id)}`],
  ] as const) {
    expectError(await call(method, path, body, eve.access_token), 403, "M_FORBIDDEN");
  }
  expectError(await api(srv.server.baseUrl, "GET", "/_synapse/admin/v2/users"), 401, "M_MISSING_TOKEN");
  // Nothing changed.
  expect((await call<AdminUser>("GET", user(eve.user_id))).body.admin).toBe(false);
});

describe("the user list", () => {
  beforeAll(async () => {
    for (const name of ["list-anna", "list-bert", "list-carl"]) await registerUser(srv.server.baseUrl, name);
    await call("POST", `/_synapse/admin/v1/deactivate/${enc("@list-carl:localhost")}`, {});
  });

  test("name filters by user id or display name; deactivated accounts only when asked", async () => {
    const res = await call<{ users: AdminUser[]; total: number }>("GET", "/_synapse/admin/v2/users?name=list-");
    expect(res.status).toBe(200);
    expect(res.body.users.map((u) => u.name)).toEqual(["@list-anna:localhost", "@list-bert:localhost"]);
    expect(res.body.total).toBe(2);
    const all = await call<{ users: AdminUser[] }>("GET", "/_synapse/admin/v2/users?name=list-&deactivated=true");
    expect(all.body.users.map((u) => [u.name, u.deactivated])).toEqual([
      ["@list-anna:localhost", false],
      ["@list-bert:localhost", false],
      ["@list-carl:localhost", true],
    ]);
  });

  test("from and limit page, with next_token while more remain; order_by and dir sort", async () => {
    const first = await call<{ users: AdminUser[]; total: number; next_token?: string }>("GET", "/_synapse/admin/v2/users?name=list-&deactivated=true&limit=2&order_by=name&dir=b");
    expect(first.body.users.map((u) => u.name)).toEqual(["@list-carl:localhost", "@list-bert:localhost"]);
    expect(first.body).toMatchObject({ total: 3, next_token: "2" });
    const second = await call<{ users: AdminUser[]; next_token?: string }>("GET", `/_synapse/admin/v2/users?name=list-&deactivated=true&limit=2&order_by=name&dir=b&from=${first.body.next_token}`);
    expect(second.body.users.map((u) => u.name)).toEqual(["@list-anna:localhost"]);
    expect(second.body.next_token).toBeUndefined();
  });

  test("admins=true lists admins only, admins=false the others", async () => {
    const admins = await call<{ users: AdminUser[] }>("GET", "/_synapse/admin/v2/users?admins=true");
    expect(admins.body.users.map((u) => u.name)).toContain(srv.admin.user_id);
    expect(admins.body.users.every((u) => u.admin)).toBe(true);
    const others = await call<{ users: AdminUser[] }>("GET", "/_synapse/admin/v2/users?admins=false&name=list-");
    expect(others.body.users.every((u) => !u.admin)).toBe(true);
  });

  test("bad parameters are 400 M_INVALID_PARAM", async () => {
    for (const q of ["limit=0", "limit=x", "from=-1", "order_by=password", "dir=up", "guests=yes"]) {
      expectError(await call("GET", `/_synapse/admin/v2/users?${q}`), 400, "M_INVALID_PARAM");
    }
  });
});

describe("one account", () => {
  test("GET an unknown user is 404 M_NOT_FOUND; another server's is 400", async () => {
    expectError(await call("GET", user("@nobody:localhost")), 404, "M_NOT_FOUND");
    expectError(await call("GET", user("@someone:elsewhere.org")), 400, "M_INVALID_PARAM");
  });

  test("PUT creates an account (201) that logs in, then modifies it (200)", async () => {
    const created = await call<AdminUser>("PUT", user("@made:localhost"), { password: "made pw", displayname: "Made", admin: false });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "@made:localhost", displayname: "Made", admin: false, deactivated: false });
    const session = await loginUser(srv.server.baseUrl, "made", "made pw");
    const modified = await call<AdminUser>("PUT", user("@made:localhost"), { displayname: "Renamed", admin: true });
    expect(modified.status).toBe(200);
    expect(modified.body).toMatchObject({ displayname: "Renamed", admin: true });
    const profile = await api(srv.server.baseUrl, "GET", `/_matrix/client/v3/profile/${enc("@made:localhost")}`, { token: session.access_token });
    expect(profile.body).toEqual({ displayname: "Renamed" });
  });

  test("PUT with a password logs the user out unless logout_devices is false", async () => {
    await call("PUT", user("@pwuser:localhost"), { password: "one" });
    const kept = await loginUser(srv.server.baseUrl, "pwuser", "one");
    await call("PUT", user("@pwuser:localhost"), { password: "two", logout_devices: false });
    expect((await api(srv.server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: kept.access_token })).status).toBe(200);
    await call("PUT", user("@pwuser:localhost"), { password: "three" });
    expectError(await api(srv.server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: kept.access_token }), 401, "M_UNKNOWN_TOKEN");
    expect((await loginUser(srv.server.baseUrl, "pwuser", "three")).user_id).toBe("@pwuser:localhost");
  });

  test("deactivate ends the sessions and the user leaves their rooms; PUT deactivated=false with a password reactivates", async () => {
    const victim = await registerUser(srv.server.baseUrl, "victim");
    const roomId = await createRoom(srv.server.baseUrl, srv.admin);
    await call("POST", `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: victim.user_id });
    await api(srv.server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, { token: victim.access_token, body: {} });
    const res = await call("POST", `/_synapse/admin/v1/deactivate/${enc(victim.user_id)}`, { erase: true });
    expect(res).toMatchObject({ status: 200, body: { id_server_unbind_result: "success" } });
    expectError(await api(srv.server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: victim.access_token }), 401, "M_UNKNOWN_TOKEN");
    const member = await call<{ membership: string }>("GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(victim.user_id)}`);
    expect(member.body.membership).toBe("leave");
    expect((await call<AdminUser>("GET", user(victim.user_id))).body.deactivated).toBe(true);
    await call("PUT", user(victim.user_id), { deactivated: false, password: "back again" });
    expect((await loginUser(srv.server.baseUrl, "victim", "back again")).user_id).toBe(victim.user_id);
  });

  test("reset_password sets a new password; the old sessions end unless logout_devices is false", async () => {
    const u = await registerUser(srv.server.baseUrl, "forgetful");
    const res = await call("POST", `/_synapse/admin/v1/reset_password/${enc(u.user_id)}`, { new_password: "new one" });
    expect(res.status).toBe(200);
    expectError(await api(srv.server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: u.access_token }), 401, "M_UNKNOWN_TOKEN");
    expect((await loginUser(srv.server.baseUrl, "forgetful", "new one")).user_id).toBe(u.user_id);
    expectError(await call("POST", `/_synapse/admin/v1/reset_password/${enc("@ghost:localhost")}`, { new_password: "x" }), 404, "M_NOT_FOUND");
  });

  test("the admin flag: GET and PUT; an admin may not demote themselves", async () => {
    const u = await registerUser(srv.server.baseUrl, "promoted");
    const path = `/_synapse/admin/v1/users/${enc(u.user_id)}/admin`;
    expect((await call("GET", path)).body).toEqual({ admin: false });
    expect((await call("PUT", path, { admin: true })).status).toBe(200);
    expect((await call("GET", path)).body).toEqual({ admin: true });
    // Now they can use the admin API themselves.
    expect((await call("GET", "/_synapse/admin/v2/users", undefined, u.access_token)).status).toBe(200);
    expectError(await call("PUT", `/_synapse/admin/v1/users/${enc(srv.admin.user_id)}/admin`, { admin: false }), 400, "M_INVALID_PARAM");
    expect((await call("GET", `/_synapse/admin/v1/users/${enc(srv.admin.user_id)}/admin`)).body).toEqual({ admin: true });
  });
});

describe("devices, rooms, whois", () => {
  let u: Session;
  beforeAll(async () => {
    u = await registerUser(srv.server.baseUrl, "gadgets", undefined, { device_id: "PHONE", initial_device_display_name: "Phone" });
    await api(srv.server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: u.access_token });
  });

  test("devices are listed, read, renamed and deleted; deleting ends the device's session", async () => {
    const second = await loginUser(srv.server.baseUrl, "gadgets", undefined, { device_id: "LAPTOP" });
    const base = `/_synapse/admin/v2/users/${enc(u.user_id)}/devices`;
    const list = await call<{ devices: { device_id: string; user_id: string }[]; total: number }>("GET", base);
    expect(list.body.total).toBe(2);
    expect(list.body.devices.map((d) => d.device_id).sort()).toEqual(["LAPTOP", "PHONE"]);
    expect(list.body.devices[0]!.user_id).toBe(u.user_id);
    expect((await call("GET", `${base}/PHONE`)).body).toMatchObject({ device_id: "PHONE", display_name: "Phone", last_seen_ip: "127.0.0.1" });
    await call("PUT", `${base}/PHONE`, { display_name: "Old phone" });
    expect((await call("GET", `${base}/PHONE`)).body).toMatchObject({ display_name: "Old phone" });
    expectError(await call("GET", `${base}/NOPE`), 404, "M_NOT_FOUND");
    expect((await call("DELETE", `${base}/LAPTOP`)).status).toBe(200);
    expectError(await api(srv.server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: second.access_token }), 401, "M_UNKNOWN_TOKEN");
    const third = await loginUser(srv.server.baseUrl, "gadgets", undefined, { device_id: "TABLET" });
    await call("POST", `/_synapse/admin/v2/users/${enc(u.user_id)}/delete_devices`, { devices: ["TABLET", "GONE"] });
    expectError(await api(srv.server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: third.access_token }), 401, "M_UNKNOWN_TOKEN");
    expect((await call<{ total: number }>("GET", base)).body.total).toBe(1);
  });

  test("joined_rooms lists the rooms the user is joined to", async () => {
    const roomId = await createRoom(srv.server.baseUrl, u);
    const res = await call<{ joined_rooms: string[]; total: number }>("GET", `/_synapse/admin/v1/users/${enc(u.user_id)}/joined_rooms`);
    expect(res.body.joined_rooms).toContain(roomId);
    expect(res.body.total).toBe(res.body.joined_rooms.length);
  });

  test("whois (Synapse's and the spec's) shows each device's last connection; users may ask about themselves", async () => {
    const synapse = await call<{ user_id: string; devices: Record<string, { sessions: { connections: { ip: string }[] }[] }> }>("GET", `/_synapse/admin/v1/whois/${enc(u.user_id)}`);
    expect(synapse.body.user_id).toBe(u.user_id);
    expect(synapse.body.devices.PHONE!.sessions[0]!.connections[0]!.ip).toBe("127.0.0.1");
    const spec = await call("GET", `/_matrix/client/v3/admin/whois/${enc(u.user_id)}`);
    expect(spec.body).toEqual(synapse.body);
    expect((await api(srv.server.baseUrl, "GET", `/_matrix/client/v3/admin/whois/${enc(u.user_id)}`, { token: u.access_token })).status).toBe(200);
    expectError(await api(srv.server.baseUrl, "GET", `/_matrix/client/v3/admin/whois/${enc(srv.admin.user_id)}`, { token: u.access_token }), 403, "M_FORBIDDEN");
  });
});

test("every admin action is logged with who did it", async () => {
  const line = srv.server.nextLine((l) => l.includes('"admin action"') && l.includes('"list users"'));
  await call("GET", "/_synapse/admin/v2/users?limit=1");
  expect(JSON.parse(await line)).toMatchObject({ msg: "admin action", admin: srv.admin.user_id, action: "list users" });
});
