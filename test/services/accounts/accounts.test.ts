// Account services over an in-memory database: concurrent registrations of one name (the insert
// decides; the loser gets M_USER_IN_USE and no token), the last-seen write throttle, and the
// account events other areas subscribe to.
import { expect, test } from "bun:test";
import type { RegisterResponse } from "../../../src/services/accounts/users";
import type { AccountEvent } from "../../../src/services/accounts/account-events";
import { hashToken } from "../../../src/services/accounts/access-tokens";
import { testServices } from "../../helpers/services";

const ctx = { operation: "POST /_matrix/client/v3/register", clientAddress: "127.0.0.1" };
const dummy = { type: "m.login.dummy" };

test("two registrations of one name started together: one account, one token, one M_USER_IN_USE", async () => {
  const { services, storage } = await testServices();
  // Both pass the availability check before either inserts: they race on the insert itself.
  const results = await Promise.allSettled([
    services.accounts.users.register({ kind: "user", username: "same", password: "first", auth: dummy }, ctx),
    services.accounts.users.register({ kind: "user", username: "same", password: "second", auth: dummy }, ctx),
  ]);
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(1);
  expect(lost[0]!.reason).toMatchObject({ status: 400, errcode: "M_USER_IN_USE" });
  const session = (won[0] as PromiseFulfilledResult<RegisterResponse>).value;
  if (!("access_token" in session)) throw new Error("expected a session");
  expect(storage.accounts.getDevices("@same:localhost").map((d) => d.device_id)).toEqual([session.device_id]);
  expect(storage.accounts.getTokenOwner(hashToken(session.access_token))?.user_id).toBe("@same:localhost");
});

test("last_seen is written at most once a minute per device", async () => {
  const { services, storage, advance } = await testServices();
  const s = await services.accounts.users.register({ kind: "user", username: "seen", password: "pw", auth: dummy }, ctx);
  if (!("access_token" in s)) throw new Error("expected a session");
  const seen = () => storage.accounts.getDevice("@seen:localhost", s.device_id);
  services.accounts.tokens.authenticate(s.access_token, "10.0.0.1");
  const first = seen()!;
  expect(first.last_seen_ip).toBe("10.0.0.1");
  advance(59_000);
  services.accounts.tokens.authenticate(s.access_token, "10.0.0.2");
  expect(seen()).toEqual(first);
  advance(1_000);
  services.accounts.tokens.authenticate(s.access_token, "10.0.0.3");
  expect(seen()).toMatchObject({ last_seen_ip: "10.0.0.3", last_seen_ts: first.last_seen_ts! + 60_000 });
});

test("profile changes and deactivation reach subscribers after they are committed", async () => {
  const { services, storage } = await testServices();
  const s = await services.accounts.users.register({ kind: "user", username: "watched", password: "pw", auth: dummy }, ctx);
  if (!("access_token" in s)) throw new Error("expected a session");
  const requester = services.accounts.tokens.authenticate(s.access_token);
  const seen: AccountEvent[] = [];
  services.accounts.events.subscribe((event) => {
    // Committed before listeners run: the stored profile already shows the change.
    if (event.type === "profile") expect(storage.accounts.getUser(event.userId)?.displayname).toBe(event.displayname);
    seen.push(event);
  });
  await services.accounts.profile.setField(requester, requester.userId, "displayname", { displayname: "Watched One" });
  await services.accounts.profile.setField(requester, requester.userId, "m.tz", { "m.tz": "Europe/Berlin" });
  await services.accounts.profile.setField(requester, requester.userId, "avatar_url", { avatar_url: "mxc://localhost/a" });
  await services.accounts.users.deactivate(
    requester,
    { type: "m.login.password", identifier: { type: "m.id.user", user: "watched" }, password: "pw" },
    { operation: "POST /_matrix/client/v3/account/deactivate", clientAddress: "127.0.0.1" },
  );
  expect(seen).toEqual([
    { type: "profile", userId: "@watched:localhost", displayname: "Watched One", avatarUrl: null },
    { type: "profile", userId: "@watched:localhost", displayname: "Watched One", avatarUrl: "mxc://localhost/a" },
    { type: "deactivated", userId: "@watched:localhost" },
  ]);
});
