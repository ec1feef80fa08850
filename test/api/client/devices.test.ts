// Device management over HTTP: listing, naming, last-seen information, and deletion behind UIA.
import { beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, loginUser, passwordAuth, registerUser, type Session } from "../../helpers/client";
import { serverForTests } from "../../helpers/server";

const DEVICES = "/_matrix/client/v3/devices";

interface Device {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

const srv = serverForTests();

async function listDevices(token: string): Promise<Device[]> {
  const res = await api<{ devices: Device[] }>(srv.baseUrl, "GET", DEVICES, { token });
  expect(res.status).toBe(200);
  return res.body.devices;
}

describe("reading and naming", () => {
  let alice: Session;
  beforeAll(async () => {
    alice = await registerUser(srv.baseUrl, "alice", undefined, { device_id: "ALICE1", initial_device_display_name: "Laptop" });
  });

  test("GET /devices lists the user's devices with names and last-seen information", async () => {
    const before = Date.now();
    const phone = await loginUser(srv.baseUrl, "alice", undefined, { initial_device_display_name: "Phone" });
    await api(srv.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: phone.access_token });
    const devices = await listDevices(alice.access_token);
    expect(devices.map((d) => d.device_id).sort()).toEqual(["ALICE1", phone.device_id].sort());
    const seen = devices.find((d) => d.device_id === phone.device_id)!;
    expect(seen.display_name).toBe("Phone");
    expect(seen.last_seen_ip).toBe("127.0.0.1");
    expect(seen.last_seen_ts).toBeGreaterThanOrEqual(before - 1000);
    expect(seen.last_seen_ts).toBeLessThanOrEqual(Date.now() + 1000);
  });

  test("another user's devices are not listed", async () => {
    const bob = await registerUser(srv.baseUrl, "bob");
    const ids = (await listDevices(bob.access_token)).map((d) => d.device_id);
    expect(ids).toEqual([bob.device_id]);
    const res = await api(srv.baseUrl, "GET", `${DEVICES}/ALICE1`, { token: bob.access_token });
    expectError(res, 404, "M_NOT_FOUND");
  });

  test("GET /devices/{id} returns one device; an unknown one is 404 M_NOT_FOUND", async () => {
    const res = await api<Device>(srv.baseUrl, "GET", `${DEVICES}/ALICE1`, { token: alice.access_token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ device_id: "ALICE1", display_name: "Laptop" });
    const missing = await api(srv.baseUrl, "GET", `${DEVICES}/NOSUCHDEVICE`, { token: alice.access_token });
    expectError(missing, 404, "M_NOT_FOUND");
  });

  test("PUT /devices/{id} renames; without display_name nothing changes; an unknown device is 404", async () => {
    const put = await api(srv.baseUrl, "PUT", `${DEVICES}/ALICE1`, { token: alice.access_token, body: { display_name: "Work laptop" } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({});
    expect((await api(srv.baseUrl, "GET", `${DEVICES}/ALICE1`, { token: alice.access_token })).body.display_name).toBe("Work laptop");
    expect((await api(srv.baseUrl, "PUT", `${DEVICES}/ALICE1`, { token: alice.access_token, body: {} })).status).toBe(200);
    expect((await api(srv.baseUrl, "GET", `${DEVICES}/ALICE1`, { token: alice.access_token })).body.display_name).toBe("Work laptop");
    const missing = await api(srv.baseUrl, "PUT", `${DEVICES}/NOSUCHDEVICE`, { token: alice.access_token, body: { display_name: "x" } });
    expectError(missing, 404, "M_NOT_FOUND");
  });

  test("device ids with URL-special characters round-trip", async () => {
    const s = await loginUser(srv.baseUrl, "alice", undefined, { device_id: "odd/id ü" });
    const res = await api<Device>(srv.baseUrl, "GET", `${DEVICES}/${encodeURIComponent("odd/id ü")}`, { token: s.access_token });
    expect(res.status).toBe(200);
    expect(res.body.device_id).toBe("odd/id ü");
  });

  test("all of this needs an access token", async () => {
    const res = await api(srv.baseUrl, "GET", DEVICES);
    expectError(res, 401, "M_MISSING_TOKEN");
  });
});

describe("deleting", () => {
  test("DELETE /devices/{id} needs the password, then the device and its token are gone", async () => {
    const s = await registerUser(srv.baseUrl, "carol");
    const other = await loginUser(srv.baseUrl, "carol");
    const path = `${DEVICES}/${encodeURIComponent(other.device_id)}`;
    const first = await api<{ session: string; flows: unknown }>(srv.baseUrl, "DELETE", path, { token: s.access_token });
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    const res = await api(srv.baseUrl, "DELETE", path, { token: s.access_token, body: { auth: passwordAuth(s.user_id, first.body.session) } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    const who = await api(srv.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: other.access_token });
    expectError(who, 401, "M_UNKNOWN_TOKEN");
    expect((await listDevices(s.access_token)).map((d) => d.device_id)).toEqual([s.device_id]);
  });

  test("a session opened to delete one device cannot delete another", async () => {
    const s = await registerUser(srv.baseUrl, "dave");
    const a = await loginUser(srv.baseUrl, "dave");
    const b = await loginUser(srv.baseUrl, "dave");
    const first = await api<{ session: string }>(srv.baseUrl, "DELETE", `${DEVICES}/${a.device_id}`, { token: s.access_token });
    const res = await api(srv.baseUrl, "DELETE", `${DEVICES}/${b.device_id}`, {
      token: s.access_token,
      body: { auth: passwordAuth(s.user_id, first.body.session) },
    });
    expect(res.status).toBe(403);
    expect((await api(srv.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: b.access_token })).status).toBe(200);
  });

  test("deleting a device that does not exist succeeds after UIA", async () => {
    const s = await registerUser(srv.baseUrl, "erin");
    const path = `${DEVICES}/GONE`;
    const first = await api<{ session: string }>(srv.baseUrl, "DELETE", path, { token: s.access_token });
    const res = await api(srv.baseUrl, "DELETE", path, { token: s.access_token, body: { auth: passwordAuth(s.user_id, first.body.session) } });
    expect(res.status).toBe(200);
  });

  test("POST /delete_devices deletes several at once, including the requester's own", async () => {
    const s = await registerUser(srv.baseUrl, "frank");
    const a = await loginUser(srv.baseUrl, "frank");
    const keep = await loginUser(srv.baseUrl, "frank");
    const devices = [a.device_id, s.device_id];
    const first = await api<{ session: string }>(srv.baseUrl, "POST", "/_matrix/client/v3/delete_devices", {
      token: s.access_token,
      body: { devices },
    });
    expect(first.status).toBe(401);
    const res = await api(srv.baseUrl, "POST", "/_matrix/client/v3/delete_devices", {
      token: s.access_token,
      body: { devices, auth: passwordAuth(s.user_id, first.body.session) },
    });
    expect(res.status).toBe(200);
    expect((await api(srv.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: s.access_token })).status).toBe(401);
    expect((await api(srv.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: a.access_token })).status).toBe(401);
    expect((await listDevices(keep.access_token)).map((d) => d.device_id)).toEqual([keep.device_id]);
  });

  test("delete_devices needs a list of strings", async () => {
    const s = await registerUser(srv.baseUrl, "gina");
    const res = await api(srv.baseUrl, "POST", "/_matrix/client/v3/delete_devices", { token: s.access_token, body: { devices: "ABC" } });
    expectError(res, 400, "M_BAD_JSON");
    expect(res.body.error).toContain("devices");
  });
});
