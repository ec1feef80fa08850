// Send-to-device over HTTP: delivered in /sync in order, to one device or to every device with *,
// idempotent per device and transaction id, redelivered until a sync acknowledges them by its
// `since`, 100 at a time, waking a waiting long-poll; bad input is 400 naming the field.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { expectError, loginUser } from "../../helpers/client";
import { asUser } from "../../helpers/as-user";
import type { TestServer } from "../../helpers/server";
import { syncClient, type SyncBody } from "../../helpers/sync";
import { serverWithUsers, type TestUser } from "../../helpers/users";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let bobPhone: ReturnType<typeof asUser>;
let txn = 0;

beforeAll(async () => {
  ({ server, users: { alice, bob } } = await serverWithUsers(["alice", "bob"]));
  bobPhone = asUser(server.baseUrl, await loginUser(server.baseUrl, "bob", undefined, { device_id: "PHONE" }));
});
afterAll(() => server.stop());

const send = (messages: Record<string, Record<string, unknown>>, txnId = `t${++txn}`, type = "m.test") =>
  alice.call("PUT", `/sendToDevice/${type}/${txnId}`, { messages });
const numbers = (body: SyncBody) => body.to_device.events.map((e) => e.content.n);

test("to one device and to every device with *, in order, with sender and type", async () => {
  const laptop = syncClient(bob.call);
  const phone = syncClient(bobPhone);
  await Promise.all([laptop.next(), phone.next()]);
  expect((await send({ [bob.id]: { [bob.session.device_id]: { n: 1 } } })).status).toBe(200);
  expect((await send({ [bob.id]: { "*": { n: 2 } } })).status).toBe(200);
  const got = await laptop.next();
  expect(got.to_device.events).toEqual([
    { sender: alice.id, type: "m.test", content: { n: 1 } },
    { sender: alice.id, type: "m.test", content: { n: 2 } },
  ]);
  expect(numbers(await phone.next())).toEqual([2]);
});

test("a retried transaction is delivered once", async () => {
  const laptop = syncClient(bob.call);
  await laptop.next();
  await send({ [bob.id]: { [bob.session.device_id]: { n: 3 } } }, "same");
  await send({ [bob.id]: { [bob.session.device_id]: { n: 3 } } }, "same");
  expect(numbers(await laptop.next())).toEqual([3]);
});

test("a sync whose token is not used again gets the same messages; one with that token does not", async () => {
  const laptop = syncClient(bob.call);
  await laptop.next();
  const since = laptop.token!;
  await send({ [bob.id]: { [bob.session.device_id]: { n: 4 } } });
  const first = await bob.call<SyncBody>("GET", `/sync?since=${since}`);
  expect(numbers(first.body)).toEqual([4]);
  // The client crashed before processing: it syncs from the old token and gets them again.
  const again = await bob.call<SyncBody>("GET", `/sync?since=${since}`);
  expect(numbers(again.body)).toEqual([4]);
  const acknowledged = await bob.call<SyncBody>("GET", `/sync?since=${again.body.next_batch}`);
  expect(numbers(acknowledged.body)).toEqual([]);
  // Gone for good: even the old token finds nothing now.
  expect(numbers((await bob.call<SyncBody>("GET", `/sync?since=${since}`)).body)).toEqual([]);
});

test("100 per sync; the rest comes with the next one", async () => {
  const phone = syncClient(bobPhone);
  await phone.next();
  await Promise.all(Array.from({ length: 130 }, (_, i) => send({ [bob.id]: { PHONE: { n: 1000 + i } } })));
  const first = await phone.next();
  expect(first.to_device.events).toHaveLength(100);
  const second = await phone.next();
  expect(second.to_device.events).toHaveLength(30);
  const all = [...numbers(first), ...numbers(second)] as number[];
  expect(new Set(all).size).toBe(130);
  expect(numbers(await phone.next())).toEqual([]);
});

test("a message wakes the recipient's waiting sync", async () => {
  const laptop = syncClient(bob.call);
  await laptop.next();
  const waiting = laptop.next({ timeout: "10000" });
  await send({ [bob.id]: { [bob.session.device_id]: { n: 5 } } });
  expect(numbers(await waiting)).toEqual([5]);
});

// Each bad body also holds a good message for Bob: it must not be delivered either.
test.each([
  ["no messages", () => ({}), "M_BAD_JSON", "messages"],
  ["messages null", () => ({ messages: null }), "M_BAD_JSON", "messages"],
  ["not a user id", () => ({ messages: { [bob.id]: { [bob.session.device_id]: { n: 99 } }, bob: { D: {} } } }), "M_INVALID_PARAM", "messages.bob"],
  ["content not an object", () => ({ messages: { [bob.id]: { [bob.session.device_id]: { n: 99 }, D: "hi" } } }), "M_BAD_JSON", `messages["@bob:localhost"].D`],
] as const)("bad input: %s is 400 naming the field, and nothing is delivered", async (_, body, errcode, field) => {
  const laptop = syncClient(bob.call);
  await laptop.next();
  const res = await alice.call<{ errcode: string; error: string }>("PUT", `/sendToDevice/m.test/bad${++txn}`, body());
  expectError(res, 400, errcode);
  expect(res.body.error).toContain(field);
  expect(numbers(await laptop.next())).toEqual([]);
});
