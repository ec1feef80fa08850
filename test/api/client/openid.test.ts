// OpenID over real HTTP: a user gets a token for a third party, which learns from the federation
// userinfo endpoint (no X-Matrix signature) whom it names; bad, missing and deactivated users'
// tokens are 401, and nobody gets a token for someone else.
import { expect, test } from "bun:test";
import { api, expectError, registerUser } from "../../helpers/client";
import { enc, serverWithUsers } from "../../helpers/rooms";

const { server, alice, bob } = serverWithUsers(["alice", "bob"]);

const requestToken = (token: string, userId: string) =>
  api<{ access_token: string; token_type: string; matrix_server_name: string; expires_in: number; errcode?: string }>(
    server.baseUrl, "POST", `/_matrix/client/v3/user/${enc(userId)}/openid/request_token`, { token, body: {} },
  );
const userInfo = (query: string) => api(server.baseUrl, "GET", `/_matrix/federation/v1/openid/userinfo${query}`);

test("a token names its user to whoever holds it", async () => {
  const res = await requestToken(alice.access_token, alice.user_id);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ token_type: "Bearer", matrix_server_name: "localhost", expires_in: 3600 });
  const info = await userInfo(`?access_token=${encodeURIComponent(res.body.access_token)}`);
  expect(info.status).toBe(200);
  expect(info.body).toEqual({ sub: alice.user_id });
  // It is not an access token.
  expectError(await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: res.body.access_token }), 401, "M_UNKNOWN_TOKEN");
});

test("no token for another user; unknown and missing tokens are 401", async () => {
  expectError(await requestToken(alice.access_token, bob.user_id), 403, "M_FORBIDDEN");
  expectError(await userInfo("?access_token=an%2Finvalid%2Ftoken"), 401, "M_UNKNOWN_TOKEN");
  expectError(await userInfo(""), 401, "M_UNKNOWN_TOKEN");
});

test("a deactivated user's tokens stop working", async () => {
  const password = "carol's password";
  const carol = await registerUser(server.baseUrl, "carol", password);
  const token = (await requestToken(carol.access_token, carol.user_id)).body.access_token;
  expect((await userInfo(`?access_token=${encodeURIComponent(token)}`)).status).toBe(200);
  const deactivate = await api(server.baseUrl, "POST", "/_matrix/client/v3/account/deactivate", {
    token: carol.access_token,
    body: { auth: { type: "m.login.password", identifier: { type: "m.id.user", user: carol.user_id }, password } },
  });
  expect(deactivate.status).toBe(200);
  expectError(await userInfo(`?access_token=${encodeURIComponent(token)}`), 401, "M_UNKNOWN_TOKEN");
});
