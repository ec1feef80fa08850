// The UIA service with a controllable clock and an in-memory database: stage order within flows,
// `completed`, session binding and expiry, one use per session, and the bound on open sessions.
import { expect, test } from "bun:test";
import type { Config } from "../../../src/config";
import { createPasswordChecker, hashPassword } from "../../../src/services/accounts/passwords";
import { createFakeClock } from "../../../src/runtime/clock";
import { MatrixError } from "../../../src/services/matrix-error";
import { createRateLimiter } from "../../../src/services/rate-limit";
import { UiaRequired, createUiaService, type Flow, type UiaRequest } from "../../../src/services/accounts/uia";
import { createStorage, openDatabase } from "../../../src/storage";

const TOKEN = "m.login.registration_token";
const DUMMY = "m.login.dummy";
const PASSWORD = "m.login.password";

function setup() {
  const clock = createFakeClock(5_000_000);
  const storage = createStorage(openDatabase(":memory:"));
  const limits: Config["rate_limits"] = {
    enabled: false,
    login: { per_second: 1, burst: 1 },
    failed_login: { per_second: 1, burst: 1 },
    register: { per_second: 1, burst: 1 },
    message: { per_second: 1, burst: 1 },
    report: { per_second: 1, burst: 1 },
    failed_login_account: { per_second: 1, burst: 1 },
    room_creation: { per_second: 1, burst: 1 },
    join: { per_second: 1, burst: 1 },
    invite: { per_second: 1, burst: 1 },
  };
  const rateLimits = createRateLimiter(limits, clock);
  const passwords = createPasswordChecker(storage, rateLimits, "localhost");
  const uia = createUiaService({ clock, rateLimits, passwords, registrationToken: "tok", storedTokens: storage.registrationTokens });
  return { uia, storage, advance: clock.advance };
}

const request = (auth: unknown, extra: Partial<UiaRequest> = {}): UiaRequest => ({
  operation: "POST /x",
  auth,
  clientAddress: "127.0.0.1",
  ...extra,
});

/** Runs one round and returns the 401 body, or "done" when the operation ran. */
async function round(uia: ReturnType<typeof setup>["uia"], req: UiaRequest, flows: readonly Flow[]) {
  try {
    await uia.run(req, flows, () => undefined);
    return "done" as const;
  } catch (e) {
    if (e instanceof UiaRequired) return e.toJSON() as { session: string; completed?: string[]; errcode?: string };
    throw e;
  }
}

test("stages complete in flow order, and `completed` lists them (after any attempt)", async () => {
  const { uia } = setup();
  const flows = [[TOKEN, DUMMY]];
  const first = await round(uia, request(undefined), flows);
  if (first === "done") throw new Error("must not succeed without auth");
  const session = first.session;
  // Dummy first is out of order.
  const outOfOrder = await round(uia, request({ type: DUMMY, session }), flows);
  // A failed attempt lists what is done so far, even nothing.
  expect(outOfOrder).toMatchObject({ errcode: "M_FORBIDDEN", session, completed: [] });
  const afterToken = await round(uia, request({ type: TOKEN, token: "tok", session }), flows);
  expect(afterToken).toMatchObject({ completed: [TOKEN], session });
  expect(afterToken).not.toHaveProperty("errcode");
  // Retrying a completed stage keeps it completed.
  expect(await round(uia, request({ type: TOKEN, token: "tok", session }), flows)).toMatchObject({ completed: [TOKEN] });
  expect(await round(uia, request({ type: DUMMY, session }), flows)).toBe("done");
});

test("an auth dict with only the session re-checks completion", async () => {
  const { uia } = setup();
  const flows = [[DUMMY], [TOKEN]];
  const first = await round(uia, request(undefined), flows);
  if (first === "done") throw new Error("must not succeed without auth");
  const checked = await round(uia, request({ session: first.session }), flows);
  expect(checked).toMatchObject({ session: first.session });
  expect(checked).not.toHaveProperty("completed");
});

test("the operation runs once per session; a failing operation leaves the session usable", async () => {
  const { uia } = setup();
  const flows = [[DUMMY]];
  const first = await round(uia, request(undefined), flows);
  if (first === "done") throw new Error("unexpected");
  const req = request({ type: DUMMY, session: first.session });
  await expect(uia.run(req, flows, () => Promise.reject(new MatrixError(400, "M_USER_IN_USE", "taken")))).rejects.toMatchObject({
    errcode: "M_USER_IN_USE",
  });
  expect(await uia.run(req, flows, () => 42)).toBe(42);
  await expect(uia.run(req, flows, () => 43)).rejects.toMatchObject({ status: 400, errcode: "M_UNKNOWN" });
});

test("sessions are bound to their operation and user", async () => {
  const { uia } = setup();
  const flows = [[DUMMY]];
  const first = await round(uia, request(undefined, { userId: "@a:localhost" }), flows);
  if (first === "done") throw new Error("unexpected");
  const auth = { type: DUMMY, session: first.session };
  await expect(uia.run(request(auth, { operation: "POST /y", userId: "@a:localhost" }), flows, () => 1)).rejects.toMatchObject({
    status: 403,
  });
  await expect(uia.run(request(auth, { userId: "@b:localhost" }), flows, () => 1)).rejects.toMatchObject({ status: 403 });
  expect(await uia.run(request(auth, { userId: "@a:localhost" }), flows, () => 1)).toBe(1);
});

test("sessions expire after 30 minutes", async () => {
  const { uia, advance } = setup();
  const flows = [[DUMMY]];
  const first = await round(uia, request(undefined), flows);
  if (first === "done") throw new Error("unexpected");
  advance(30 * 60_000);
  await expect(uia.run(request({ type: DUMMY, session: first.session }), flows, () => 1)).rejects.toMatchObject({ status: 400 });
});

test("past 10,000 open sessions the oldest are forgotten", async () => {
  const { uia } = setup();
  const flows = [[DUMMY]];
  const sessions: string[] = [];
  for (let i = 0; i < 10_001; i++) {
    const r = await round(uia, request(undefined), flows);
    if (r === "done") throw new Error("unexpected");
    sessions.push(r.session);
  }
  await expect(uia.run(request({ type: DUMMY, session: sessions[0] }), flows, () => 1)).rejects.toMatchObject({ status: 400 });
  expect(await uia.run(request({ type: DUMMY, session: sessions[10_000] }), flows, () => 1)).toBe(1);
});

test("the password stage accepts only the requester's own password; another user's is a plain 403", async () => {
  const { uia, storage } = setup();
  for (const name of ["alice", "bob"]) {
    storage.accounts.insertUser({
      userId: `@${name}:localhost`,
      passwordHash: await hashPassword(`${name}'s password`),
      displayname: null,
      isGuest: false,
      createdTs: 0,
    });
  }
  const flows = [[PASSWORD]];
  const req = (auth: unknown) => request(auth, { userId: "@alice:localhost" });
  const first = await round(uia, req(undefined), flows);
  if (first === "done") throw new Error("unexpected");
  const session = first.session;
  const id = (user: string) => ({ type: "m.id.user", user });
  // Another user's credentials: a plain 403 (no 401 inviting another try), as in Synapse.
  const other = uia.run(req({ type: PASSWORD, identifier: id("bob"), password: "bob's password", session }), flows, () => undefined);
  await expect(other).rejects.toMatchObject({ status: 403, errcode: "M_FORBIDDEN" });
  await expect(other).rejects.not.toBeInstanceOf(UiaRequired);
  expect(await round(uia, req({ type: PASSWORD, identifier: id("alice"), password: "wrong", session }), flows)).toMatchObject({
    errcode: "M_FORBIDDEN",
  });
  expect(await round(uia, req({ type: PASSWORD, user: "@alice:localhost", password: "alice's password", session }), flows)).toBe(
    "done",
  );
});

test("malformed auth dicts are M_BAD_JSON", async () => {
  const { uia } = setup();
  for (const auth of ["string", [1], { type: 5 }, { session: 5 }]) {
    await expect(uia.run(request(auth), [[DUMMY]], () => 1)).rejects.toMatchObject({ status: 400, errcode: "M_BAD_JSON" });
  }
});

test("registration tokens are compared exactly", () => {
  const { uia } = setup();
  expect(uia.registrationTokenValid("tok", "a")).toBe(true);
  for (const wrong of ["Tok", "tok ", "", "to", undefined, 7]) expect(uia.registrationTokenValid(wrong, "a")).toBe(false);
});
