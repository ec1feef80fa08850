// Typing notifications over HTTP: start, stop and expiry all reach the other members' /sync (and
// wake their long-polls); only a joined user may type, and only for themself.
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

beforeAll(async () => {
  ({ server, users: { alice, bob, carol } } = await serverWithUsers(["alice", "bob", "carol"], { log: "debug" }));
  roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  await bob.call("POST", `/join/${enc(roomId)}`, {});
});
afterAll(() => server.stop());

const typingPath = (who: TestUser) => `/rooms/${enc(roomId)}/typing/${enc(who.id)}`;
const typingIn = (body: SyncBody) => ofType(body.rooms.join[roomId]?.ephemeral.events ?? [], "m.typing").map((e) => e.content.user_ids);

test("start and stop reach the other member, each waking their long-poll", async () => {
  const sync = syncClient(bob.call);
  await sync.next();
  let waiting = parked(server, bob.id);
  let pending = sync.next({ timeout: "10000" });
  await waiting;
  expect((await alice.call("PUT", typingPath(alice), { typing: true, timeout: 30000 })).status).toBe(200);
  expect(typingIn(await pending)).toEqual([[alice.id]]);
  waiting = parked(server, bob.id);
  pending = sync.next({ timeout: "10000" });
  await waiting;
  expect((await alice.call("PUT", typingPath(alice), { typing: false })).status).toBe(200);
  expect(typingIn(await pending)).toEqual([[]]);
});

test("typing expires after its timeout, which wakes waiting syncs too", async () => {
  const sync = syncClient(bob.call);
  await sync.next();
  await alice.call("PUT", typingPath(alice), { typing: true, timeout: 300 });
  expect(typingIn(await sync.next())).toEqual([[alice.id]]);
  // The expiry wakes the long-poll: without it this answers empty after 10 s.
  const expired = await sync.next({ timeout: "10000" });
  expect(typingIn(expired)).toEqual([[]]);
});

test("refreshing an ongoing typing notice is not news; an initial sync shows who types now", async () => {
  await alice.call("PUT", typingPath(alice), { typing: true, timeout: 30000 });
  const sync = syncClient(bob.call);
  const initial = await sync.next();
  expect(typingIn(initial)).toEqual([[alice.id]]);
  await alice.call("PUT", typingPath(alice), { typing: true, timeout: 30000 });
  expect(typingIn(await sync.next({ timeout: "200" }))).toEqual([]);
  await alice.call("PUT", typingPath(alice), { typing: false });
});

test("only yourself, only in a room you are joined to; the body is checked", async () => {
  expectError(await alice.call("PUT", typingPath(bob), { typing: true, timeout: 1000 }), 403, "M_FORBIDDEN");
  expectError(await carol.call("PUT", typingPath(carol), { typing: true, timeout: 1000 }), 403, "M_FORBIDDEN");
  expectError(await alice.call("PUT", typingPath(alice), { timeout: 1000 }), 400, "M_BAD_JSON");
  expectError(await alice.call("PUT", typingPath(alice), { typing: "yes" }), 400, "M_BAD_JSON");
});
