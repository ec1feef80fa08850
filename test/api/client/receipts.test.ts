// Receipts and read markers over HTTP: public receipts reach every member, private ones only their
// sender, threaded receipts keep their thread, m.fully_read lands in room account data, and
// receipts never move backwards.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { enc } from "../../helpers/as-user";
import { expectError } from "../../helpers/client";
import type { TestServer } from "../../helpers/server";
import { serverWithUsers, type TestUser } from "../../helpers/users";
import { ofType, parked, syncClient, type SyncBody } from "../../helpers/sync";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let roomId: string;
const sent: string[] = [];

beforeAll(async () => {
  ({ server, users: { alice, bob, carol } } = await serverWithUsers(["alice", "bob", "carol"], { log: "debug" }));
  roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  await bob.call("POST", `/join/${enc(roomId)}`, {});
  for (let i = 0; i < 4; i++) {
    sent.push((await alice.call<{ event_id: string }>("PUT", `/rooms/${enc(roomId)}/send/m.room.message/r${i}`, { msgtype: "m.text", body: `m${i}` })).body.event_id);
  }
});
afterAll(() => server.stop());

const receipt = (type: string, eventId: string) => `/rooms/${enc(roomId)}/receipt/${type}/${enc(eventId)}`;
const receiptsIn = (body: SyncBody) => ofType(body.rooms.join[roomId]?.ephemeral.events ?? [], "m.receipt").map((e) => e.content);

test("m.read reaches the other member and wakes their long-poll; the sender's unread count drops", async () => {
  const aliceSync = syncClient(alice.call);
  await aliceSync.next();
  const waiting = parked(server, alice.id);
  const pending = aliceSync.next({ timeout: "10000" });
  await waiting;
  expect((await bob.call("POST", receipt("m.read", sent[1]!), {})).status).toBe(200);
  const content = receiptsIn(await pending);
  expect(content).toHaveLength(1);
  const ts = (content[0]![sent[1]!] as Record<string, Record<string, { ts: number }>>)["m.read"]![bob.id]!.ts;
  expect(content[0]).toEqual({ [sent[1]!]: { "m.read": { [bob.id]: { ts } } } });
  expect(ts).toBeGreaterThan(Date.now() - 60_000);
  const bobView = await syncClient(bob.call).next();
  expect(bobView.rooms.join[roomId]!.unread_notifications.notification_count).toBe(2);
});

test("m.read.private is seen by its sender only, and counts for their unread total", async () => {
  const aliceSync = syncClient(alice.call);
  const bobSync = syncClient(bob.call);
  await aliceSync.next();
  await bobSync.next();
  expect((await bob.call("POST", receipt("m.read.private", sent[3]!), {})).status).toBe(200);
  const own = await bobSync.next();
  expect(receiptsIn(own)).toEqual([{ [sent[3]!]: { "m.read.private": { [bob.id]: { ts: expect.any(Number) } } } }]);
  expect(own.rooms.join[roomId]!.unread_notifications.notification_count).toBe(0);
  const other = await aliceSync.next({ timeout: "300" });
  expect(receiptsIn(other)).toEqual([]);
  // The initial sync of another user never shows it either.
  expect(JSON.stringify(await syncClient(alice.call).next())).not.toContain("m.read.private");
});

test("threaded receipts keep their thread id; `main` is allowed; bad thread ids are 400", async () => {
  const sync = syncClient(alice.call);
  await sync.next();
  expect((await bob.call("POST", receipt("m.read", sent[2]!), { thread_id: "main" })).status).toBe(200);
  expect(receiptsIn(await sync.next())).toEqual([{ [sent[2]!]: { "m.read": { [bob.id]: { ts: expect.any(Number), thread_id: "main" } } } }]);
  expectError(await bob.call("POST", receipt("m.read", sent[2]!), { thread_id: "" }), 400, "M_INVALID_PARAM");
  expectError(await bob.call("POST", receipt("m.read", sent[2]!), { thread_id: 5 }), 400, "M_INVALID_PARAM");
  expectError(await bob.call("POST", receipt("m.fully_read", sent[2]!), { thread_id: "main" }), 400, "M_INVALID_PARAM");
  expectError(await bob.call("POST", receipt("m.unknown", sent[2]!), {}), 400, "M_INVALID_PARAM");
});

test("a receipt for an earlier event than the current one is ignored", async () => {
  // bob's read receipt is at sent[1] at least (this test may run alone).
  expect((await bob.call("POST", receipt("m.read", sent[1]!), {})).status).toBe(200);
  const sync = syncClient(alice.call);
  await sync.next();
  expect((await bob.call("POST", receipt("m.read", sent[0]!), {})).status).toBe(200);
  expect(receiptsIn(await sync.next({ timeout: "200" }))).toEqual([]);
});

test("m.fully_read via /receipt and /read_markers is room account data; read_markers also sends receipts", async () => {
  const sync = syncClient(bob.call);
  await sync.next();
  expect((await bob.call("POST", receipt("m.fully_read", sent[1]!), {})).status).toBe(200);
  let body = await sync.next();
  expect(body.rooms.join[roomId]!.account_data.events).toEqual([{ type: "m.fully_read", content: { event_id: sent[1]! } }]);
  expect(receiptsIn(body)).toEqual([]);
  const markers = { "m.fully_read": sent[3]!, "m.read": sent[3]! };
  expect((await bob.call("POST", `/rooms/${enc(roomId)}/read_markers`, markers)).status).toBe(200);
  body = await sync.next();
  expect(body.rooms.join[roomId]!.account_data.events).toEqual([{ type: "m.fully_read", content: { event_id: sent[3]! } }]);
  expect(receiptsIn(body)).toEqual([{ [sent[3]!]: { "m.read": { [bob.id]: { ts: expect.any(Number) } } } }]);
  const stored = await bob.call("GET", `/user/${enc(bob.id)}/rooms/${enc(roomId)}/account_data/m.fully_read`);
  expect(stored.body).toEqual({ event_id: sent[3]! });
});

test("non-members and unknown events are refused", async () => {
  expectError(await carol.call("POST", receipt("m.read", sent[0]!), {}), 403, "M_FORBIDDEN");
  expectError(await carol.call("POST", `/rooms/${enc(roomId)}/read_markers`, { "m.fully_read": sent[0]! }), 403, "M_FORBIDDEN");
  expectError(await bob.call("POST", receipt("m.read", "$nope"), {}), 404, "M_NOT_FOUND");
  expectError(await bob.call("POST", `/rooms/${enc(roomId)}/read_markers`, { "m.read": 4 }), 400, "M_BAD_JSON");
});
