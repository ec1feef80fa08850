// Device management over HTTP: listing, naming, last-seen information, and deletion behind UIA.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, loginUser, passwordAuth, registerUser, type Session } from "../helpers/client";
import { startServer, type TestServer } from "../helpers/server";

const DEVICES = "/_matrix/client/v3/devices";

interface Device {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

let server: TestServer;
let base: string;
beforeAll(async () => {
  server = await startServer();
  base = server.baseUrl;
});
afterAll(() => server.stop());

async function listDevices(token: string): Promise<Device[]> {
  const res = await api<{ devices: Device[] }>(base, "GET", DEVICES, { token });
  expect(res.status).toBe(200);
  return res.body.devices;
}

describe("reading and naming", () => {
  let alice: Session;
  beforeAll(async () => {
    alice = await registerUser(base, "alice", undefined, { device_id: "ALICE1", initial_device_display_name: "Laptop" });
  });

  test("GET /devices lists the user's devices with names and last-seen information", async () => {
    const before = Date.now();
    const phone = await loginUser(base, "alice", undefined, { initial_device_display_name: "Phone" });
    await api(base, "GET", "/_matrix/client/v3/account/whoami", { token: phone.access_token });
    const devices = await listDevices(alice.access_token);
    expect(devices.map((d) => d.device_id).sort()).toEqual(["ALICE1", phone.device_id].sort());
    const seen = devices.find((d) => d.device_id === phone.device_id)!;
    expect(seen.display_name).toBe("Phone");
    expect(seen.last_seen_ip).toBe("127.0.0.1");
    expect(seen.last_seen_ts).toBeGreaterThanOrEqual(before - 1000);
    expect(seen.last_seen_ts).toBeLessThanOrEqual(Date.now() + 1000);
  });

  test("another user's devices are not listed", async () => {
    const bob = await registerUser(base, "bob");
    const ids = (await listDevices(bob.access_token)).map((d) => d.device_id);
    expect(ids).toEqual([bob.device_id]);
    const res = await api(base, "GET", `${DEVICES}/ALICE1`, { token: bob.access_token });
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe("M_NOT_FOUND");
  });

  test("GET /devices/{id} returns one device; an unknown one is 404 M_NOT_FOUND", async () => {
    const res = await api<Device>(base, "GET", `${DEVICES}/ALICE1`, { token: alice.access_token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ device_id: "ALICE1", display_name: "Laptop" });
    const missing = await api(base, "GET", `${DEVICES}/NOSUCHDEVICE`, { token: alice.access_token });
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe("M_NOT_FOUND");
  });

  test("PUT /devices/{id} renames; without display_name nothing changes; an unknown device is 404", async () => {
    const put = await api(base, "PUT", `${DEVICES}/ALICE1`, { token: alice.access_token, body: { display_name: "Work laptop" } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({});
    expect((await api(base, "GET", `${DEVICES}/ALICE1`, { token: alice.access_token })).body.display_name).toBe("Work laptop");
    expect((await api(base, "PUT", `${DEVICES}/ALICE1`, { token: alice.access_token, body: {} })).status).toBe(200);
    expect((await api(base, "GET", `${DEVICES}/ALICE1`, { token: alice.access_token })).body.display_name).toBe("Work laptop");
    const missing = await api(base, "PUT", `${DEVICES}/NOSUCHDEVICE`, { token: alice.access_token, body: { display_name: "x" } });
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe("M_NOT_FOUND");
  });

  test("device ids with URL-special characters round-trip", async () => {
    const s = await loginUser(base, "alice", undefined, { device_id: "odd/id ü" });
    const res = await api<Device>(base, "GET", `${DEVICES}/${encodeURIComponent("odd/id ü")}`, { token: s.access_token });
    expect(res.status).toBe(200);
    expect(res.body.device_id).toBe("odd/id ü");
  });

  test("all of this needs an access token", async () => {
    const res = await api(base, "GET", DEVICES);
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_MISSING_TOKEN");
  });
});

describe("deleting", () => {
  test("DELETE /devices/{id} needs the password, then the device and its token are gone", async () => {
    const s = await registerUser(base, "carol");
    const other = await loginUser(base, "carol");
    const path = `${DEVICES}/${encodeURIComponent(other.device_id)}`;
    const first = await api<{ session: string; flows: unknown }>(base, "DELETE", path, { token: s.access_token });
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    const res = await api(base, "DELETE", path, { token: s.access_token, body: { auth: passwordAuth(s.user_id, first.body.session) } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    const who = await api(base, "GET", "/_matrix/client/v3/account/whoami", { token: other.access_token });
    expect(who.status).toBe(401);
    expect(who.body.errcode).toBe("M_UNKNOWN_TOKEN");
    expect((await listDevices(s.access_token)).map((d) => d.device_id)).toEqual([s.device_id]);
  });

  test("a session opened to delete one device cannot delete another", async () => {
    const s = await registerUser(base, "dave");
    const a = await loginUser(base, "dave");
    const b = await loginUser(base, "dave");
    const first = await api<{ session: string }>(base, "DELETE", `${DEVICES}/${a.device_id}`, { token: s.access_token });
    const res = await api(base, "DELETE", `${DEVICES}/${b.device_id}`, {
      token: s.access_token,
      body: { auth: passwordAuth(s.user_id, first.body.session) },
    });
    expect(res.status).toBe(403);
    expect((await api(base, "GET", "/_matrix/client/v3/account/whoami", { token: b.access_token })).status).toBe(200);
  });

  test("deleting a device that does not exist succeeds after UIA", async () => {
    const s = await registerUser(base, "erin");
    const path = `${DEVICES}/GONE`;
    const first = await api<{ session: string }>(base, "DELETE", path, { token: s.access_token });
    const res = await api(base, "DELETE", path, { token: s.access_token, body: { auth: passwordAuth(s.user_id, first.body.session) } });
    expect(res.status).toBe(200);
  });

  test("POST /delete_devices deletes several at once, including the requester's own", async () => {
    const s = await registerUser(base, "frank");
    const a = await loginUser(base, "frank");
    const keep = await loginUser(base, "frank");
    const devices = [a.device_id, s.device_id];
    const first = await api<{ session: string }>(base, "POST", "/_matrix/client/v3/delete_devices", {
      token: s.access_token,
      body: { devices },
    });
    expect(first.status).toBe(401);
    const res = await api(base, "POST", "/_matrix/client/v3/delete_devices", {
      token: s.access_token,
      body: { devices, auth: passwordAuth(s.user_id, first.body.session) },
    });
    expect(res.status).toBe(200);
    expect((await api(base, "GET", "/_matrix/client/v3/account/whoami", { token: s.access_token })).status).toBe(401);
    expect((await api(base, "GET", "/_matrix/client/v3/account/whoami", { token: a.access_token })).status).toBe(401);
    expect((await listDevices(keep.access_token)).map((d) => d.device_id)).toEqual([keep.device_id]);
  });

  test("delete_devices needs a list of strings", async () => {
    const s = await registerUser(base, "gina");
    const res = await api(base, "POST", "/_matrix/client/v3/delete_devices", { token: s.access_token, body: { devices: "ABC" } });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_BAD_JSON");
    expect(res.body.error).toContain("devices");
  });
});
