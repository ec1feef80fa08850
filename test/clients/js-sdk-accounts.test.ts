// matrix-js-sdk, a real client library, against the real server: registration through its UIA
// handling (by hand and with its InteractiveAuth driver), password login, whoami, devices with
// UIA deletion, profile and logout. Its logger is silenced so test output stays readable.
import { beforeAll, expect, test } from "bun:test";
import { InteractiveAuth, MatrixError, createClient, type MatrixClient } from "matrix-js-sdk";
import { quietLogger as quiet } from "../helpers/js-sdk";
import { registerUser } from "../helpers/client";
import { serverForTests } from "../helpers/server";

const server = serverForTests();
// The account the login tests use, made here so that any of them runs alone.
beforeAll(async () => {
  await registerUser(server.baseUrl, "sdklogin", "sdk password");
});

function client(credentials: { accessToken?: string; userId?: string; deviceId?: string } = {}): MatrixClient {
  return createClient({ baseUrl: server.baseUrl, logger: quiet, ...credentials });
}

/** The 401 a UIA endpoint answers first, as the SDK reports it. */
async function uiaSession(request: Promise<unknown>): Promise<string> {
  const error = await request.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MatrixError);
  const mx = error as MatrixError;
  expect(mx.httpStatus).toBe(401);
  expect(mx.data.flows).toBeDefined();
  return mx.data.session as string;
}

test("registerRequest: the first call asks for auth, the dummy stage completes it", async () => {
  const sdk = client();
  expect(await sdk.isUsernameAvailable("sdkuser")).toBe(true);
  const session = await uiaSession(sdk.registerRequest({ username: "sdkuser", password: "sdk password" }));
  const res = await sdk.registerRequest({ username: "sdkuser", password: "sdk password", auth: { type: "m.login.dummy", session } });
  expect(res.user_id).toBe("@sdkuser:localhost");
  expect(res.access_token).toBeString();
  const who = await client({ accessToken: res.access_token, userId: res.user_id }).whoami();
  expect(who).toMatchObject({ user_id: "@sdkuser:localhost", device_id: res.device_id, is_guest: false });
});

test("InteractiveAuth drives registration through the dummy stage by itself", async () => {
  const sdk = client();
  const auth = new InteractiveAuth({
    matrixClient: sdk,
    doRequest: (authDict) =>
      sdk.registerRequest({ username: "driven", password: "driven password", ...(authDict ? { auth: authDict } : {}) }),
    stateUpdated: () => {},
    requestEmailToken: () => Promise.reject(new Error("no email here")),
  });
  const res = await auth.attemptAuth();
  expect(res.user_id).toBe("@driven:localhost");
});

test("loginWithPassword and login('m.login.password') give sessions that whoami recognises", async () => {
  const sdk = client();
  const first = await sdk.loginWithPassword("sdklogin", "sdk password");
  expect(first.user_id).toBe("@sdklogin:localhost");
  const second = await client().login("m.login.password", {
    identifier: { type: "m.id.user", user: "@sdklogin:localhost" },
    password: "sdk password",
    initial_device_display_name: "SDK device",
  });
  expect(second.device_id).not.toBe(first.device_id);
  const authed = client({ accessToken: second.access_token, userId: second.user_id, deviceId: second.device_id });
  expect((await authed.whoami()).device_id).toBe(second.device_id);
  const devices = await authed.getDevices();
  expect(devices.devices.find((d) => d.device_id === second.device_id)?.display_name).toBe("SDK device");
});

test("a wrong password is a 403 M_FORBIDDEN MatrixError", async () => {
  const error = await client()
    .loginWithPassword("sdklogin", "not the password")
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MatrixError);
  expect((error as MatrixError).httpStatus).toBe(403);
  expect((error as MatrixError).errcode).toBe("M_FORBIDDEN");
});

test("profile, device deletion behind UIA, and logout", async () => {
  const login = await client().loginWithPassword("sdklogin", "sdk password");
  const sdk = client({ accessToken: login.access_token, userId: login.user_id, deviceId: login.device_id });
  await sdk.setDisplayName("SDK User");
  expect(await sdk.getProfileInfo("@sdklogin:localhost")).toMatchObject({ displayname: "SDK User" });

  const spare = await client().loginWithPassword("sdklogin", "sdk password");
  const session = await uiaSession(sdk.deleteDevice(spare.device_id));
  await sdk.deleteDevice(spare.device_id, {
    type: "m.login.password",
    identifier: { type: "m.id.user", user: "sdklogin" },
    password: "sdk password",
    session,
  });
  expect((await sdk.getDevices()).devices.map((d) => d.device_id)).not.toContain(spare.device_id);

  await sdk.logout();
  const error = await sdk.whoami().catch((e: unknown) => e);
  expect((error as MatrixError).errcode).toBe("M_UNKNOWN_TOKEN");
});
