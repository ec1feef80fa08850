// Filters over HTTP: upload, download, ownership, validation, and inline use by /sync.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startServer, type TestServer } from "../../helpers/server";
import { asUser, enc, type UserCall } from "../../helpers/as-user";
import { registerUser, type Session } from "../../helpers/client";

let server: TestServer;
let alice: Session;
let bob: Session;
let aliceCall: UserCall;
let bobCall: UserCall;
beforeAll(async () => {
  server = await startServer();
  alice = await registerUser(server.baseUrl, "alice");
  bob = await registerUser(server.baseUrl, "bob");
  aliceCall = asUser(server.baseUrl, alice);
  bobCall = asUser(server.baseUrl, bob);
});
afterAll(() => server.stop());

const example = {
  room: {
    state: { types: ["m.room.*"], not_rooms: ["!726s6s6q:example.com"] },
    timeline: { limit: 10, types: ["m.room.message"], not_senders: ["@spam:example.com"] },
  },
  event_fields: ["type", "content", "sender"],
};

test("a filter round-trips and identical uploads share an id", async () => {
  const created = await aliceCall<{ filter_id: string }>("POST", `/user/${enc(alice.user_id)}/filter`, example);
  expect(created.status).toBe(200);
  expect(created.body.filter_id).toMatch(/^[^{]/);
  const got = await aliceCall("GET", `/user/${enc(alice.user_id)}/filter/${created.body.filter_id}`);
  expect(got.status).toBe(200);
  expect(got.body).toEqual(example);
  const again = await aliceCall<{ filter_id: string }>("POST", `/user/${enc(alice.user_id)}/filter`, example);
  expect(again.body.filter_id).toBe(created.body.filter_id);
  const other = await aliceCall<{ filter_id: string }>("POST", `/user/${enc(alice.user_id)}/filter`, { room: {} });
  expect(other.body.filter_id).not.toBe(created.body.filter_id);
});

test("filters are private to their owner", async () => {
  const created = await aliceCall<{ filter_id: string }>("POST", `/user/${enc(alice.user_id)}/filter`, { presence: { limit: 1 } });
  const peek = await bobCall("GET", `/user/${enc(alice.user_id)}/filter/${created.body.filter_id}`);
  expect(peek.status).toBe(403);
  expect(peek.body.errcode).toBe("M_FORBIDDEN");
  const upload = await bobCall("POST", `/user/${enc(alice.user_id)}/filter`, {});
  expect(upload.status).toBe(403);
  // bob's own namespace does not hold alice's filter
  const mine = await bobCall("GET", `/user/${enc(bob.user_id)}/filter/${created.body.filter_id}`);
  expect(mine.status).toBe(404);
});

test("unknown filter ids are 404 M_NOT_FOUND", async () => {
  for (const id of ["987654", "abc", "{x"]) {
    const res = await aliceCall("GET", `/user/${enc(alice.user_id)}/filter/${enc(id)}`);
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe("M_NOT_FOUND");
  }
});

test("invalid filters are 400 M_BAD_JSON; non-JSON bodies M_NOT_JSON", async () => {
  const bad = await aliceCall("POST", `/user/${enc(alice.user_id)}/filter`, { room: { timeline: { limit: "ten" } } });
  expect(bad.status).toBe(400);
  expect(bad.body.errcode).toBe("M_BAD_JSON");
  const notObject = await aliceCall("POST", `/user/${enc(alice.user_id)}/filter`, [1]);
  expect(notObject.body.errcode).toBe("M_BAD_JSON");
  const notJson = await aliceCall("POST", `/user/${enc(alice.user_id)}/filter`, "{nope");
  expect(notJson.status).toBe(400);
  expect(notJson.body.errcode).toBe("M_NOT_JSON");
});

test("requests without a token are 401", async () => {
  const res = await fetch(`${server.baseUrl}/_matrix/client/v3/user/${enc(alice.user_id)}/filter`, { method: "POST", body: "{}" });
  expect(res.status).toBe(401);
});
