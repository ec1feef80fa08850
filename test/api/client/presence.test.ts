// Presence over HTTP: set and read your own, see users you share a room with (in /sync and by
// GET), nobody else's; /sync marks its caller online unless set_presence says otherwise.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { enc } from "../../helpers/as-user";
import { expectError } from "../../helpers/client";
import type { TestServer } from "../../helpers/server";
import { addUser, serverWithUsers, type TestUser } from "../../helpers/users";
import { ofType, parked, syncClient } from "../../helpers/sync";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;

beforeAll(async () => {
  ({ server, users: { alice, bob, carol } } = await serverWithUsers(["alice", "bob", "carol"], { log: "debug" }));
  const roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  await bob.call("POST", `/join/${enc(roomId)}`, {});
});
afterAll(() => server.stop());

const status = (who: TestUser) => `/presence/${enc(who.id)}/status`;

test("a user's own presence: offline before anything, then what they set", async () => {
  expect((await carol.call("GET", status(carol))).body).toEqual({ presence: "offline" });
  expect((await carol.call("PUT", status(carol), { presence: "unavailable", status_msg: "lunch" })).status).toBe(200);
  const got = await carol.call<Record<string, unknown>>("GET", status(carol));
  expect(got.body).toMatchObject({ presence: "unavailable", status_msg: "lunch" });
  expect(got.body.last_active_ago).toBeNumber();
  // The status message stays when only the state changes.
  await carol.call("PUT", status(carol), { presence: "online" });
  expect((await carol.call("GET", status(carol))).body).toMatchObject({ presence: "online", status_msg: "lunch", currently_active: true });
});

test("presence of users sharing a room reaches /sync and wakes it; others' does not", async () => {
  const sync = syncClient(alice.call);
  await sync.next({ set_presence: "offline" });
  const waiting = parked(server, alice.id);
  const pending = sync.next({ set_presence: "offline", timeout: "10000" });
  await waiting;
  await bob.call("PUT", status(bob), { presence: "online", status_msg: "here" });
  const body = await pending;
  const bobs = ofType(body.presence.events, "m.presence").filter((e) => e.sender === bob.id);
  expect(bobs.map((e) => e.content)).toEqual([{ presence: "online", status_msg: "here", currently_active: true, last_active_ago: expect.any(Number) }]);
  await carol.call("PUT", status(carol), { presence: "unavailable" });
  const later = await sync.next({ set_presence: "offline", timeout: "200" });
  expect(later.presence.events.filter((e) => e.sender === carol.id)).toEqual([]);
});

test("GET another user's presence needs a shared room; you cannot set theirs", async () => {
  expect((await alice.call("GET", status(bob))).status).toBe(200);
  expectError(await alice.call("GET", status(carol)), 403, "M_FORBIDDEN");
  expectError(await alice.call("PUT", status(bob), { presence: "offline" }), 403, "M_FORBIDDEN");
  expectError(await alice.call("PUT", status(alice), { presence: "away" }), 400, "M_BAD_JSON");
});

test("syncing marks the user online; set_presence=unavailable marks them idle", async () => {
  await syncClient(bob.call).next({ set_presence: "unavailable" });
  expect((await alice.call("GET", status(bob))).body).toMatchObject({ presence: "unavailable" });
  await syncClient(bob.call).next();
  expect((await alice.call("GET", status(bob))).body).toMatchObject({ presence: "online", currently_active: true });
});

test("new company: joining a room brings its members' presence, and a joiner's reaches those already there, changed or not", async () => {
  const [dana, erin] = await Promise.all([addUser(server, "dana"), addUser(server, "erin")]);
  await dana.call("PUT", status(dana), { presence: "unavailable", status_msg: "reading" });
  await erin.call("PUT", status(erin), { presence: "online", status_msg: "new here" });
  const roomId = (await dana.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  const danas = syncClient(dana.call);
  const erins = syncClient(erin.call);
  await danas.next({ set_presence: "offline" });
  await erins.next({ set_presence: "offline" });
  expect((await erin.call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
  // Neither presence changed since the tokens; each is new company for the other.
  const erinSees = ofType((await erins.next({ set_presence: "offline" })).presence.events, "m.presence").filter((e) => e.sender === dana.id);
  expect(erinSees.map((e) => e.content)).toEqual([expect.objectContaining({ presence: "unavailable", status_msg: "reading" })]);
  const danaSees = ofType((await danas.next({ set_presence: "offline" })).presence.events, "m.presence").filter((e) => e.sender === erin.id);
  expect(danaSees.map((e) => e.content)).toEqual([expect.objectContaining({ presence: "online", status_msg: "new here" })]);
  // Told once: the next sync has nothing of them.
  const again = await erins.next({ set_presence: "offline", timeout: "100" });
  expect(ofType(again.presence.events, "m.presence").filter((e) => e.sender === dana.id)).toEqual([]);
  // Someone who never had any presence joins: they come as offline.
  const fay = await addUser(server, "fay");
  expect((await fay.call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
  const fays = ofType((await danas.next({ set_presence: "offline" })).presence.events, "m.presence").filter((e) => e.sender === fay.id);
  expect(fays.map((e) => e.content)).toEqual([{ presence: "offline" }]);
});
