// Key backup over HTTP: versions (create, read the newest or one, update, delete), keys at all
// three levels with the spec's replacement rule, etag and count, M_WRONG_ROOM_KEYS_VERSION with
// current_version, 404s, and bad input answered 400 naming the field with nothing stored.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { enc } from "../../helpers/as-user";
import { expectError } from "../../helpers/client";
import type { TestServer } from "../../helpers/server";
import { once } from "../../helpers/once";
import { serverWithUsers, type TestUser } from "../../helpers/users";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
const algorithm = "m.megolm_backup.v1.curve25519-aes-sha2";
const room = "!backup:localhost";

beforeAll(async () => {
  ({ server, users: { alice, bob } } = await serverWithUsers(["alice", "bob"]));
});
afterAll(() => server.stop());

/** Some backup version of Alice's to write to. */
const aliceHasBackup = once(() => alice.call("POST", "/room_keys/version", { algorithm, auth_data: {} }));

type Version = { algorithm: string; auth_data: Record<string, unknown>; count: number; etag: string; version: string };
type Written = { count: number; etag: string };
const key = (first_message_index: number, is_verified = false, forwarded_count = 0, ciphertext = "c") => ({
  first_message_index,
  forwarded_count,
  is_verified,
  session_data: { ephemeral: "e", ciphertext, mac: "m" },
});

test("versions: none yet is 404; create, read, update auth_data, delete", async () => {
  expectError(await bob.call("GET", "/room_keys/version"), 404, "M_NOT_FOUND");
  const created = await bob.call<{ version: string }>("POST", "/room_keys/version", { algorithm, auth_data: { public_key: "k1" } });
  expect(created.status).toBe(200);
  const v = created.body.version;
  expect((await bob.call<Version>("GET", "/room_keys/version")).body).toEqual({ algorithm, auth_data: { public_key: "k1" }, count: 0, etag: "0", version: v });
  expect((await bob.call("PUT", `/room_keys/version/${v}`, { algorithm, auth_data: { public_key: "k2" }, version: v })).status).toBe(200);
  expect((await bob.call<Version>("GET", `/room_keys/version/${v}`)).body.auth_data).toEqual({ public_key: "k2" });
  expectError(await bob.call("PUT", `/room_keys/version/${v}`, { algorithm: "other", auth_data: {} }), 400, "M_INVALID_PARAM");
  expectError(await bob.call("PUT", `/room_keys/version/${v}`, { algorithm, auth_data: {}, version: "999" }), 400, "M_INVALID_PARAM");
  expectError(await bob.call("PUT", "/room_keys/version/999", { algorithm, auth_data: {} }), 404, "M_NOT_FOUND");
  expect((await bob.call("DELETE", `/room_keys/version/${v}`)).status).toBe(200);
  expectError(await bob.call("GET", `/room_keys/version/${v}`), 404, "M_NOT_FOUND");
  expectError(await bob.call("DELETE", `/room_keys/version/${v}`), 404, "M_NOT_FOUND");
  // Versions are never reused.
  const next = await bob.call<{ version: string }>("POST", "/room_keys/version", { algorithm, auth_data: {} });
  expect(Number(next.body.version)).toBeGreaterThan(Number(v));
  // Another user's backups are theirs.
  expectError(await alice.call("GET", `/room_keys/version/${next.body.version}`), 404, "M_NOT_FOUND");
});

test("keys at three levels, with count and etag; reads at three levels", async () => {
  const { version } = (await alice.call<{ version: string }>("POST", "/room_keys/version", { algorithm, auth_data: {} })).body;
  const all = await alice.call<Written>("PUT", `/room_keys/keys?version=${version}`, { rooms: { [room]: { sessions: { s1: key(0), s2: key(0) } } } });
  expect(all.body).toEqual({ count: 2, etag: "1" });
  const inRoom = await alice.call<Written>("PUT", `/room_keys/keys/${enc(room)}?version=${version}`, { sessions: { s3: key(0) } });
  expect(inRoom.body).toEqual({ count: 3, etag: "2" });
  const one = await alice.call<Written>("PUT", `/room_keys/keys/${enc(room)}/s4?version=${version}`, key(0));
  expect(one.body).toEqual({ count: 4, etag: "3" });
  const read = await alice.call<{ rooms: Record<string, { sessions: Record<string, unknown> }> }>("GET", `/room_keys/keys?version=${version}`);
  expect(Object.keys(read.body.rooms[room]!.sessions).sort()).toEqual(["s1", "s2", "s3", "s4"]);
  expect((await alice.call("GET", `/room_keys/keys/${enc(room)}/s4?version=${version}`)).body).toEqual(key(0));
  expect((await alice.call("GET", `/room_keys/keys/${enc("!other:localhost")}?version=${version}`)).body).toEqual({ sessions: {} });
  expectError(await alice.call("GET", `/room_keys/keys/${enc(room)}/nope?version=${version}`), 404, "M_NOT_FOUND");
  expect((await alice.call<Written>("DELETE", `/room_keys/keys/${enc(room)}/s4?version=${version}`)).body).toEqual({ count: 3, etag: "4" });
  expect((await alice.call<Written>("DELETE", `/room_keys/keys/${enc(room)}?version=${version}`)).body).toEqual({ count: 0, etag: "5" });
  expect((await alice.call<Version>("GET", "/room_keys/version")).body).toMatchObject({ count: 0, etag: "5" });
});

test("the replacement rule: verified, then the lower first index, then fewer forwards; a worse key changes nothing", async () => {
  const { version } = (await alice.call<{ version: string }>("POST", "/room_keys/version", { algorithm, auth_data: {} })).body;
  const put = (body: unknown) => alice.call<Written>("PUT", `/room_keys/keys/${enc(room)}/s?version=${version}`, body);
  await put(key(5, false, 2, "first"));
  expect((await put(key(6, false, 0, "later index"))).body.etag).toBe("1");
  await put(key(5, false, 1, "fewer forwards"));
  await put(key(9, true, 9, "verified"));
  await put(key(0, false, 0, "unverified"));
  expect((await alice.call("GET", `/room_keys/keys/${enc(room)}/s?version=${version}`)).body).toEqual(key(9, true, 9, "verified"));
  expect((await alice.call<Version>("GET", "/room_keys/version")).body).toMatchObject({ count: 1, etag: "3" });
});

test("keys only go to the current version: 403 M_WRONG_ROOM_KEYS_VERSION with current_version", async () => {
  const old = (await alice.call<{ version: string }>("POST", "/room_keys/version", { algorithm, auth_data: {} })).body.version;
  const current = (await alice.call<{ version: string }>("POST", "/room_keys/version", { algorithm, auth_data: {} })).body.version;
  const res = await alice.call<{ errcode: string; current_version: string }>("PUT", `/room_keys/keys/${enc(room)}/s?version=${old}`, key(0));
  expectError(res, 403, "M_WRONG_ROOM_KEYS_VERSION");
  expect(res.body.current_version).toBe(current);
  expectError(await alice.call("GET", `/room_keys/keys?version=12345`), 404, "M_NOT_FOUND");
  expectError(await alice.call("GET", `/room_keys/keys`), 400, "M_INVALID_PARAM");
});

test.each([
  ["no rooms", "", {}, "rooms"],
  ["a negative index", `/${enc(room)}/s`, { ...key(0), first_message_index: -1 }, "first_message_index"],
  ["is_verified a string", "", { rooms: { [room]: { sessions: { s1: key(0), s2: { ...key(0), is_verified: "yes" } } } } }, "is_verified"],
  ["session_data null", `/${enc(room)}`, { sessions: { s1: { ...key(0), session_data: null } } }, "sessions.s1.session_data"],
  ["not a room id", `/${enc("no-room")}/s`, key(0), "roomId"],
])("bad input: %s is 400 naming the field, and nothing is stored", async (_, path, body, field) => {
  await aliceHasBackup();
  const before = (await alice.call<Version>("GET", "/room_keys/version")).body;
  const res = await alice.call<{ errcode: string; error: string }>("PUT", `/room_keys/keys${path}?version=${before.version}`, body);
  expect(res.status).toBe(400);
  expect(["M_BAD_JSON", "M_INVALID_PARAM"]).toContain(res.body.errcode);
  expect(res.body.error).toContain(field);
  expect((await alice.call<Version>("GET", "/room_keys/version")).body).toEqual(before);
});
