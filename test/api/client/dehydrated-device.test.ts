// Dehydrated devices over HTTP (MSC3814's unstable endpoints, as matrix-js-sdk calls them): none is
// 404; PUT stores the device with its keys (listed among the user's devices and in /keys/query);
// its to-device messages are read in batches by GET ?from= (and POST next_batch) without being
// deleted; a new one replaces the old; DELETE removes it; bad input stores nothing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { testDevice } from "../../helpers/e2ee-keys";
import type { TestServer } from "../../helpers/server";
import { serverWithUsers, type TestUser } from "../../helpers/users";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
const PREFIX = "/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device";
const dehydrated = (who: TestUser, method: string, path = "", body?: unknown) =>
  fetch(`${server.baseUrl}${PREFIX}${path}`, {
    method,
    headers: { authorization: `Bearer ${who.session.access_token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));

beforeAll(async () => {
  ({ server, users: { alice, bob } } = await serverWithUsers(["alice", "bob"]));
});
afterAll(() => server.stop());

const deviceData = { algorithm: "m.dehydration.v2", device_pickle: "pickle", nonce: "nonce" };
function upload(deviceId: string) {
  const d = testDevice(alice.id, deviceId);
  return {
    device_id: deviceId,
    device_data: deviceData,
    initial_device_display_name: "Dehydrated device",
    device_keys: d.deviceKeys({ dehydrated: true }),
    one_time_keys: d.oneTimeKeys(5),
    fallback_keys: d.fallbackKey(),
  };
}

test("none is 404 M_NOT_FOUND (which tells clients the server supports it)", async () => {
  const res = await dehydrated(bob, "GET");
  expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
});

test("PUT stores it with its keys; GET returns it; others can claim its keys", async () => {
  expect(await dehydrated(alice, "PUT", "", upload("DEHYDRATED1"))).toEqual({ status: 200, body: { device_id: "DEHYDRATED1" } });
  expect((await dehydrated(alice, "GET")).body).toEqual({ device_id: "DEHYDRATED1", device_data: deviceData });
  const devices = await alice.call<{ devices: { device_id: string }[] }>("GET", "/devices");
  expect(devices.body.devices.map((d) => d.device_id)).toContain("DEHYDRATED1");
  const query = await bob.call<{ device_keys: Record<string, Record<string, { dehydrated?: boolean }>> }>("POST", "/keys/query", { device_keys: { [alice.id]: [] } });
  expect(query.body.device_keys[alice.id]!.DEHYDRATED1!.dehydrated).toBe(true);
  const claim = await bob.call<{ one_time_keys: Record<string, Record<string, unknown>> }>("POST", "/keys/claim", {
    one_time_keys: { [alice.id]: { DEHYDRATED1: "signed_curve25519" } },
  });
  expect(Object.keys(claim.body.one_time_keys[alice.id]!)).toEqual(["DEHYDRATED1"]);
});

test("its messages come in batches: next_batch while more remain, none deleted", async () => {
  expect((await dehydrated(alice, "PUT", "", upload("DEHYDRATED1"))).status).toBe(200);
  await Promise.all(
    Array.from({ length: 150 }, (_, i) => bob.call("PUT", `/sendToDevice/m.room.encrypted/d${i}`, { messages: { [alice.id]: { DEHYDRATED1: { n: i } } } })),
  );
  const first = await dehydrated(alice, "GET", "/DEHYDRATED1/events");
  expect((first.body.events as unknown[]).length).toBe(100);
  expect(typeof first.body.next_batch).toBe("string");
  const second = await dehydrated(alice, "GET", `/DEHYDRATED1/events?from=${first.body.next_batch}`);
  expect((second.body.events as unknown[]).length).toBe(50);
  expect(second.body.next_batch).toBeUndefined();
  // The earlier form of the proposal (POST with next_batch) reads the same; nothing was deleted.
  const again = await dehydrated(alice, "POST", "/DEHYDRATED1/events", {});
  expect((again.body.events as unknown[]).length).toBe(100);
  const other = await dehydrated(alice, "GET", `/${alice.session.device_id}/events`);
  expect({ status: other.status, errcode: other.body.errcode }).toEqual({ status: 403, errcode: "M_FORBIDDEN" });
});

test("a new one replaces the old, keys and messages included; DELETE removes it", async () => {
  expect((await dehydrated(alice, "PUT", "", upload("DEHYDRATED1"))).status).toBe(200);
  await bob.call("PUT", "/sendToDevice/m.room.encrypted/r1", { messages: { [alice.id]: { DEHYDRATED1: { n: 1 } } } });
  expect((await dehydrated(alice, "PUT", "", upload("DEHYDRATED2"))).status).toBe(200);
  const devices = (await alice.call<{ devices: { device_id: string }[] }>("GET", "/devices")).body.devices.map((d) => d.device_id);
  expect(devices).toContain("DEHYDRATED2");
  expect(devices).not.toContain("DEHYDRATED1");
  expect((await dehydrated(alice, "GET", "/DEHYDRATED2/events")).body.events).toEqual([]);
  expect(await dehydrated(alice, "DELETE")).toEqual({ status: 200, body: { device_id: "DEHYDRATED2" } });
  expect((await dehydrated(alice, "GET")).status).toBe(404);
  expect((await dehydrated(alice, "DELETE")).status).toBe(404);
});

test.each([
  ["device_data missing its algorithm", (b: Record<string, unknown>) => ({ ...b, device_data: {} }), "device_data"],
  ["no device keys", (b: Record<string, unknown>) => ({ ...b, device_keys: undefined }), "device_keys"],
  ["device keys of another device", (b: Record<string, unknown>) => ({ ...b, device_keys: testDevice(alice.id, "ELSE").deviceKeys() }), "device_keys.device_id"],
  ["a real device's id", (b: Record<string, unknown>) => ({ ...b, device_id: alice.session.device_id, device_keys: testDevice(alice.id, alice.session.device_id).deviceKeys() }), "device_id"],
])("bad input: %s is 400 naming the field, and nothing is stored", async (_, change, field) => {
  const before = await dehydrated(alice, "GET");
  const res = await dehydrated(alice, "PUT", "", change(upload("DEHYDRATED3")));
  expect(res.status).toBe(400);
  expect(String(res.body.error)).toContain(field);
  expect(await dehydrated(alice, "GET")).toEqual(before);
  const devices = (await alice.call<{ devices: { device_id: string }[] }>("GET", "/devices")).body.devices.map((d) => d.device_id);
  expect(devices).not.toContain("DEHYDRATED3");
});
