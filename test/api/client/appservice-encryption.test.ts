// What encrypted bridges are sent over real HTTP (`org.matrix.msc3202: true`): to-device messages
// for their users' devices under MSC4203's `to_device`, naming the recipient; device-list changes
// and departures of the users they share rooms with; and their devices' one-time and fallback key
// counts under MSC3202's keys. An appservice that did not opt in gets none of these.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enc } from "../../helpers/as-user";
import { appserviceFilesToml, startTestAppservice, writeRegistration, type TestAppservice } from "../../helpers/appservice";
import { api, type Session } from "../../helpers/client";
import { testDevice } from "../../helpers/e2ee-keys";
import { createRoom, sendMessage } from "../../helpers/rooms";
import { startServer, type TestServer } from "../../helpers/server";
import { addUser, type TestUser } from "../../helpers/users";

const dir = mkdtempSync(join(tmpdir(), "conduit-as-e2ee-"));
let server: TestServer;
let alice: TestUser;
/** `org.matrix.msc3202: true`, users `@crypt_.*`. */
let crypt: TestAppservice;
/** Users `@plain_.*`, no opt-in. */
let plain: TestAppservice;

beforeAll(async () => {
  [crypt, plain] = [startTestAppservice(), startTestAppservice()];
  const files = [
    writeRegistration(dir, { id: "crypt", url: crypt.url, users: ["@crypt_.*"], extra: ["org.matrix.msc3202: true"] }),
    writeRegistration(dir, { id: "plain", url: plain.url, users: ["@plain_.*"] }),
  ];
  server = await startServer({ toml: appserviceFilesToml(files) });
  alice = await addUser(server, "alice");
});
afterAll(async () => {
  await server?.stop();
  for (const as of [crypt, plain]) as?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A puppet with a device of its own (m.login.application_service registration with a session). */
async function puppet(token: string, username: string): Promise<Session> {
  const res = await api<Session>(server.baseUrl, "POST", "/_matrix/client/v3/register", { token, body: { type: "m.login.application_service", username } });
  expect(res.status).toBe(200);
  return res.body;
}

const call = (who: Session, method: string, path: string, body?: unknown) => api(server.baseUrl, method, `/_matrix/client/v3${path}`, { token: who.access_token, body });
const field = (as: TestAppservice, key: string) => as.transactions.map((t) => t.body[key]).filter((v) => v !== undefined);

test("to-device messages for the appservice's devices go under to_device, naming the recipient", async () => {
  const bob = await puppet("as-crypt", "crypt_bob");
  const res = await alice.call("PUT", "/sendToDevice/m.room_key_request/t1", { messages: { [bob.user_id]: { [bob.device_id]: { action: "request_cancellation", request_id: "r1" } } } });
  expect(res.status).toBe(200);
  const messages = await crypt.until(() => {
    const all = field(crypt, "to_device").flat() as Record<string, unknown>[];
    return all.some((m) => m.to_device_id === bob.device_id) && all;
  });
  expect(messages.filter((m) => m.to_device_id === bob.device_id)).toEqual([
    {
      type: "m.room_key_request",
      sender: alice.id,
      content: { action: "request_cancellation", request_id: "r1" },
      to_user_id: bob.user_id,
      to_device_id: bob.device_id,
    },
  ]);
  // The same to an appservice that did not opt in: nothing.
  const pat = await puppet("as-plain", "plain_pat");
  expect((await alice.call("PUT", "/sendToDevice/m.room_key_request/t2", { messages: { [pat.user_id]: { "*": { action: "request_cancellation", request_id: "r2" } } } })).status).toBe(200);
  const roomId = await createRoom(server.baseUrl, alice.session, { invite: [pat.user_id] });
  await plain.until(() => plain.acceptedEvents().some((e) => e.room_id === roomId));
  expect(plain.transactions.every((t) => Object.keys(t.body).join() === "events")).toBe(true);
});

test("one-time and fallback key counts of the appservice's devices, after uploads and claims", async () => {
  const carl = await puppet("as-crypt", "crypt_carl");
  const device = testDevice(carl.user_id, carl.device_id);
  const counts = () => field(crypt, "org.matrix.msc3202.device_one_time_keys_count") as Record<string, Record<string, Record<string, number>>>[];
  const countOf = (n: number) => counts().some((c) => c[carl.user_id]?.[carl.device_id]?.signed_curve25519 === n);

  expect((await call(carl, "POST", "/keys/upload", { device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(2) })).status).toBe(200);
  await crypt.until(() => countOf(2));
  const claim = await alice.call("POST", "/keys/claim", { one_time_keys: { [carl.user_id]: { [carl.device_id]: "signed_curve25519" } } });
  expect(claim.status).toBe(200);
  await crypt.until(() => countOf(1));

  expect((await call(carl, "POST", "/keys/upload", { fallback_keys: device.fallbackKey() })).status).toBe(200);
  const fallbacks = await crypt.until(() =>
    (field(crypt, "org.matrix.msc3202.device_unused_fallback_key_types") as Record<string, Record<string, string[]>>[]).find((f) => f[carl.user_id]?.[carl.device_id]?.length),
  );
  expect(fallbacks[carl.user_id]![carl.device_id]).toEqual(["signed_curve25519"]);
});

test("device-list changes and departures of users who share a room with the appservice's users", async () => {
  const dora = await puppet("as-crypt", "crypt_dora");
  const eve = await addUser(server, "eve");
  const lists = () => field(crypt, "org.matrix.msc3202.device_lists") as { changed: string[]; left: string[] }[];
  const changed = (userId: string) => lists().some((l) => l.changed.includes(userId));
  const left = (userId: string) => lists().some((l) => l.left.includes(userId));

  const roomId = await createRoom(server.baseUrl, alice.session, { invite: [dora.user_id] });
  expect((await call(dora, "POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
  // The puppet joined: alice is new company.
  await crypt.until(() => changed(alice.id));

  // eve shares no room yet: her new device keys are not the bridge's business.
  const eveDevice = testDevice(eve.id, eve.session.device_id);
  expect((await eve.call("POST", "/keys/upload", { device_keys: eveDevice.deviceKeys() })).status).toBe(200);
  expect((await alice.call("POST", `/rooms/${enc(roomId)}/invite`, { user_id: eve.id })).status).toBe(200);
  const marker = await sendMessage(server.baseUrl, alice.session, roomId, "before eve joins");
  await crypt.until(() => crypt.acceptedEvents().some((e) => e.event_id === marker));
  expect(changed(eve.id)).toBe(false);

  expect((await eve.call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
  await crypt.until(() => changed(eve.id));
  expect((await eve.call("POST", `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
  await crypt.until(() => left(eve.id));
  // alice still shares the room: her key change is announced.
  const aliceDevice = testDevice(alice.id, alice.session.device_id);
  const before = lists().filter((l) => l.changed.includes(alice.id)).length;
  expect((await alice.call("POST", "/keys/upload", { device_keys: aliceDevice.deviceKeys() })).status).toBe(200);
  await crypt.until(() => lists().filter((l) => l.changed.includes(alice.id)).length > before);
});
