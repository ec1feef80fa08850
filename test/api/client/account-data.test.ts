// Account data and room tags over HTTP: global and per-room storage, ownership, the server-managed
// types a client may not write, and tags kept as m.tag room account data.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startServer, type TestServer } from "../../helpers/server";
import { asUser, enc, type UserCall } from "../../helpers/as-user";
import { registerUser, type Session } from "../../helpers/client";

let server: TestServer;
let alice: Session;
let bob: Session;
let aliceCall: UserCall;
let bobCall: UserCall;
const room = "!someroom:localhost";
beforeAll(async () => {
  server = await startServer();
  alice = await registerUser(server.baseUrl, "alice");
  bob = await registerUser(server.baseUrl, "bob");
  aliceCall = asUser(server.baseUrl, alice);
  bobCall = asUser(server.baseUrl, bob);
});
afterAll(() => server.stop());

const globalPath = (s: Session, type: string) => `/user/${enc(s.user_id)}/account_data/${enc(type)}`;
const roomPath = (s: Session, roomId: string, type: string) => `/user/${enc(s.user_id)}/rooms/${enc(roomId)}/account_data/${enc(type)}`;

test("global account data is stored, replaced and read back", async () => {
  expect((await aliceCall("GET", globalPath(alice, "org.example.cfg"))).status).toBe(404);
  expect((await aliceCall("PUT", globalPath(alice, "org.example.cfg"), { a: 1 })).status).toBe(200);
  expect((await aliceCall("PUT", globalPath(alice, "org.example.cfg"), { b: [true] })).status).toBe(200);
  const got = await aliceCall("GET", globalPath(alice, "org.example.cfg"));
  expect([got.status, got.body]).toEqual([200, { b: [true] }]);
});

test("room account data is separate from global data of the same type", async () => {
  await aliceCall("PUT", globalPath(alice, "org.example.both"), { scope: "global" });
  await aliceCall("PUT", roomPath(alice, room, "org.example.both"), { scope: "room" });
  expect((await aliceCall("GET", globalPath(alice, "org.example.both"))).body).toEqual({ scope: "global" });
  expect((await aliceCall("GET", roomPath(alice, room, "org.example.both"))).body).toEqual({ scope: "room" });
  const missing = await aliceCall("GET", roomPath(alice, "!other:localhost", "org.example.both"));
  expect(missing.status).toBe(404);
  expect(missing.body.errcode).toBe("M_NOT_FOUND");
});

test("another user's account data is 403", async () => {
  const write = await bobCall("PUT", globalPath(alice, "org.example.cfg"), { evil: true });
  expect(write.status).toBe(403);
  expect(write.body.errcode).toBe("M_FORBIDDEN");
  expect((await bobCall("GET", globalPath(alice, "org.example.cfg"))).status).toBe(403);
  expect((await bobCall("GET", roomPath(alice, room, "org.example.both"))).status).toBe(403);
});

test("m.fully_read and m.push_rules cannot be written directly (405)", async () => {
  for (const type of ["m.fully_read", "m.push_rules"]) {
    const g = await aliceCall("PUT", globalPath(alice, type), { event_id: "$x" });
    expect(g.status).toBe(405);
    expect(g.body.errcode).toBe("M_BAD_JSON");
    const r = await aliceCall("PUT", roomPath(alice, room, type), { event_id: "$x" });
    expect(r.status).toBe(405);
  }
});

test("content must be a JSON object; room ids must be room ids", async () => {
  const arr = await aliceCall("PUT", globalPath(alice, "org.example.arr"), [1, 2]);
  expect(arr.status).toBe(400);
  expect(arr.body.errcode).toBe("M_BAD_JSON");
  const badRoom = await aliceCall("PUT", roomPath(alice, "not-a-room", "org.example.x"), {});
  expect(badRoom.status).toBe(400);
  expect(badRoom.body.errcode).toBe("M_INVALID_PARAM");
});

test("tags are added, listed, replaced and removed, and show as m.tag", async () => {
  const tags = `/user/${enc(alice.user_id)}/rooms/${enc(room)}/tags`;
  expect((await aliceCall("GET", tags)).body).toEqual({ tags: {} });
  expect((await aliceCall("PUT", `${tags}/m.favourite`, { order: 0 })).status).toBe(200);
  expect((await aliceCall("PUT", `${tags}/u.work`, {})).status).toBe(200);
  expect((await aliceCall("PUT", `${tags}/m.favourite`, { order: 1 })).status).toBe(200);
  expect((await aliceCall("GET", tags)).body).toEqual({ tags: { "m.favourite": { order: 1 }, "u.work": {} } });
  expect((await aliceCall("GET", roomPath(alice, room, "m.tag"))).body).toEqual({
    tags: { "m.favourite": { order: 1 }, "u.work": {} },
  });
  expect((await aliceCall("DELETE", `${tags}/m.favourite`)).status).toBe(200);
  expect((await aliceCall("DELETE", `${tags}/never.set`)).status).toBe(200);
  expect((await aliceCall("GET", tags)).body).toEqual({ tags: { "u.work": {} } });
  expect((await bobCall("GET", tags)).status).toBe(403);
  const long = await aliceCall("PUT", `${tags}/${"x".repeat(256)}`, {});
  expect(long.status).toBe(400);
});
