// Third-party identifiers without email, SMS or an identity server: the list is empty and every
// other 3pid call, and inviting by email, answers the spec's error (never a 404), changing nothing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { enc } from "../../helpers/as-user";
import { api, expectError } from "../../helpers/client";
import type { TestServer } from "../../helpers/server";
import { serverWithUsers, type TestUser } from "../../helpers/users";

let server: TestServer;
let alice: TestUser;
beforeAll(async () => {
  ({ server, users: { alice } } = await serverWithUsers(["alice"]));
});
afterAll(() => server.stop());

const session = { client_secret: "secret", sid: "sid1" };
const email = { client_secret: "secret", email: "alice@example.org", send_attempt: 1 };
const phone = { client_secret: "secret", country: "GB", phone_number: "07700900000", send_attempt: 1 };

test("GET /account/3pid lists none, and needs a token", async () => {
  const res = await alice.call("GET", "/account/3pid");
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ threepids: [] });
  expectError(await api(server.baseUrl, "GET", "/_matrix/client/v3/account/3pid"), 401, "M_MISSING_TOKEN");
});

test("adding or binding a 3pid fails with a 3pid error: no validation session can exist", async () => {
  expectError(await alice.call("POST", "/account/3pid/add", session), 400, "M_THREEPID_AUTH_FAILED");
  expectError(await alice.call("POST", "/account/3pid", { three_pid_creds: session }), 400, "M_THREEPID_AUTH_FAILED");
  const bind = { ...session, id_server: "id.example.org", id_access_token: "tok" };
  expectError(await alice.call("POST", "/account/3pid/bind", bind), 400, "M_SERVER_NOT_TRUSTED");
  expectError(await alice.call("POST", "/account/3pid/add", { sid: 3 }), 400, "M_BAD_JSON");
  expect((await alice.call("GET", "/account/3pid")).body).toEqual({ threepids: [] });
});

test("deleting or unbinding a 3pid the account does not have succeeds with no identity server asked", async () => {
  for (const path of ["/account/3pid/delete", "/account/3pid/unbind"]) {
    const res = await alice.call("POST", path, { medium: "email", address: "alice@example.org" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id_server_unbind_result: "no-support" });
  }
});

test("requestToken: registration and adding say the medium is not supported; a password reset finds no account", async () => {
  for (const [medium, body] of [["email", email], ["msisdn", phone]] as const) {
    for (const path of [`/register/${medium}/requestToken`, `/account/3pid/${medium}/requestToken`]) {
      expectError(await api(server.baseUrl, "POST", `/_matrix/client/v3${path}`, { body }), 400, "M_THREEPID_MEDIUM_NOT_SUPPORTED");
    }
    expectError(await api(server.baseUrl, "POST", `/_matrix/client/v3/account/password/${medium}/requestToken`, { body }), 400, "M_THREEPID_NOT_FOUND");
  }
  expectError(await api(server.baseUrl, "POST", "/_matrix/client/v3/register/email/requestToken", { body: { email: "x" } }), 400, "M_BAD_JSON");
});

test("inviting by email is refused before anything changes, in a room and at creation", async () => {
  const created = await alice.call<{ room_id: string }>("POST", "/createRoom", {});
  const roomId = created.body.room_id;
  const invite = { id_server: "id.example.org", id_access_token: "tok", medium: "email", address: "bob@example.org" };
  expectError(await alice.call("POST", `/rooms/${enc(roomId)}/invite`, invite), 400, "M_SERVER_NOT_TRUSTED");
  const members = await alice.call<{ chunk: unknown[] }>("GET", `/rooms/${enc(roomId)}/members`);
  expect(members.body.chunk).toHaveLength(1);
  const before = (await alice.call<{ joined_rooms: string[] }>("GET", "/joined_rooms")).body.joined_rooms;
  expectError(await alice.call("POST", "/createRoom", { invite_3pid: [invite] }), 400, "M_SERVER_NOT_TRUSTED");
  expect((await alice.call<{ joined_rooms: string[] }>("GET", "/joined_rooms")).body.joined_rooms).toEqual(before);
});
