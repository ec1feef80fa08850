// The keys endpoints over HTTP: upload, query, claim (exhaustion, fallback, concurrent claims),
// changes between two sync tokens, cross-signing keys behind UIA with the first-upload exemption,
// signatures with per-key failures, device-list changes in /sync, and bad input answered 400
// naming the field with nothing stored.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { JsonObject } from "../../../src/core";
import { asUser, enc } from "../../helpers/as-user";
import { expectError, loginUser, passwordAuth, type UiaResponse } from "../../helpers/client";
import { randomKey, testCrossSigning, testDevice, type TestDevice } from "../../helpers/e2ee-keys";
import type { TestServer } from "../../helpers/server";
import { syncClient } from "../../helpers/sync";
import { once } from "../../helpers/once";
import { addUser, serverWithUsers, type TestUser } from "../../helpers/users";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let aliceDevice: TestDevice;
let roomId: string;

type Counts = { one_time_key_counts: Record<string, number> };
type Query = { device_keys: Record<string, Record<string, JsonObject>>; master_keys: Record<string, JsonObject>; self_signing_keys: Record<string, JsonObject>; user_signing_keys?: Record<string, JsonObject>; failures: JsonObject };
type Claim = { one_time_keys: Record<string, Record<string, Record<string, JsonObject>>>; failures: JsonObject };

beforeAll(async () => {
  ({ server, users: { alice, bob, carol } } = await serverWithUsers(["alice", "bob", "carol"]));
  aliceDevice = testDevice(alice.id, alice.session.device_id);
  roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  await bob.call("POST", `/join/${enc(roomId)}`, {});
});
afterAll(() => server.stop());

const query = (who: TestUser, users: Record<string, string[]>) => who.call<Query>("POST", "/keys/query", { device_keys: users });
const counts = async (who: TestUser) => (await who.call<Counts>("POST", "/keys/upload", {})).body.one_time_key_counts;

/** Alice's device publishes its keys, 10 one-time keys and a fallback key. */
const aliceUploaded = once(() =>
  alice.call<Counts>("POST", "/keys/upload", {
    device_keys: aliceDevice.deviceKeys(),
    one_time_keys: aliceDevice.oneTimeKeys(10),
    fallback_keys: aliceDevice.fallbackKey(),
  }),
);
let users = 0;

describe("upload and query", () => {
  test("device keys, one-time keys and a fallback key; counts in the answer and in /sync", async () => {
    const dave = await addUser(server, `dave${++users}`);
    const device = testDevice(dave.id, dave.session.device_id);
    const res = await dave.call<Counts>("POST", "/keys/upload", { device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(10), fallback_keys: device.fallbackKey() });
    expect(res.status).toBe(200);
    expect(res.body.one_time_key_counts).toEqual({ signed_curve25519: 10 });
    const sync = await syncClient(dave.call).next();
    expect(sync.device_one_time_keys_count).toEqual({ signed_curve25519: 10 });
    expect(sync.device_unused_fallback_key_types).toEqual(["signed_curve25519"]);
  });

  test("query: the keys as signed, the device's name in unsigned, every queried user present", async () => {
    await aliceUploaded();
    await alice.call("PUT", `/devices/${enc(alice.session.device_id)}`, { display_name: "Alice's laptop" });
    const res = await query(bob, { [alice.id]: [], "@nobody:localhost": [] });
    expect(res.status).toBe(200);
    const device = res.body.device_keys[alice.id]![alice.session.device_id]!;
    expect(device.keys).toEqual(aliceDevice.deviceKeys().keys);
    expect(device.signatures).toEqual(aliceDevice.deviceKeys().signatures);
    expect(device.unsigned).toEqual({ device_display_name: "Alice's laptop" });
    expect(res.body.device_keys["@nobody:localhost"]).toEqual({});
    expect(res.body.failures).toEqual({});
    const one = await query(bob, { [alice.id]: ["NOT-A-DEVICE"] });
    expect(one.body.device_keys[alice.id]).toEqual({});
  });

  // Bodies are made at test time: they need the users registered in beforeAll.
  test.each([
    ["device_keys null", () => ({ device_keys: null }), "M_BAD_JSON", "device_keys"],
    ["keys of another user", () => ({ device_keys: testDevice("@mallory:localhost", alice.session.device_id).deviceKeys() }), "M_INVALID_PARAM", "device_keys.user_id"],
    ["keys of another device", () => ({ device_keys: testDevice(alice.id, "OTHER").deviceKeys() }), "M_INVALID_PARAM", "device_keys.device_id"],
    ["one_time_keys a list", () => ({ one_time_keys: [] }), "M_BAD_JSON", "one_time_keys"],
    ["a one-time key that is a number", () => ({ one_time_keys: { "curve25519:A": 5 } }), "M_BAD_JSON", 'one_time_keys["curve25519:A"]'],
    ["a forged one-time key", () => ({ one_time_keys: testDevice(alice.id, alice.session.device_id).oneTimeKeys(1, "Z") }), "M_INVALID_SIGNATURE", 'one_time_keys["signed_curve25519:Z0"]'],
    ["two fallback keys of one algorithm", () => ({ fallback_keys: { ...aliceDevice.fallbackKey("F1"), ...aliceDevice.fallbackKey("F2") } }), "M_INVALID_PARAM", "fallback_keys"],
  ] as const)("bad input: %s is 400 naming the field, and nothing is stored", async (_, make, errcode, field) => {
    await aliceUploaded();
    const before = (await query(bob, { [alice.id]: [] })).body.device_keys;
    const countsBefore = await counts(alice);
    // Valid one-time keys ride along: they must not be stored either.
    const res = await alice.call<{ errcode: string; error: string }>("POST", "/keys/upload", { one_time_keys: aliceDevice.oneTimeKeys(3, "Q"), ...make() });
    expectError(res, 400, errcode);
    expect(res.body.error).toContain(field);
    expect((await query(bob, { [alice.id]: [] })).body.device_keys).toEqual(before);
    expect(await counts(alice)).toEqual(countsBefore);
  });

  test("bad queries are 400 naming the field", async () => {
    expectError(await alice.call("POST", "/keys/query", {}), 400, "M_BAD_JSON");
    const res = await alice.call<{ errcode: string; error: string }>("POST", "/keys/query", { device_keys: { "not-a-user": [] } });
    expectError(res, 400, "M_INVALID_PARAM");
    expect(res.body.error).toContain('device_keys["not-a-user"]');
    expectError(await alice.call("POST", "/keys/query", { device_keys: { [bob.id]: "all" } }), 400, "M_BAD_JSON");
    expectError(await alice.call("POST", "/keys/claim", { one_time_keys: { [bob.id]: { D: 7 } } }), 400, "M_BAD_JSON");
  });
});

describe("claim", () => {
  test("each one-time key once, then the fallback key; concurrent claims never share a key", async () => {
    const erin = await addUser(server, `erin${++users}`);
    const device = testDevice(erin.id, erin.session.device_id);
    await erin.call("POST", "/keys/upload", { device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(10), fallback_keys: device.fallbackKey() });
    const claimOne = () => bob.call<Claim>("POST", "/keys/claim", { one_time_keys: { [erin.id]: { [erin.session.device_id]: "signed_curve25519" } } });
    const results = await Promise.all(Array.from({ length: 14 }, claimOne));
    const ids = results.map((r) => Object.keys(r.body.one_time_keys[erin.id]![erin.session.device_id]!)[0]!);
    const oneTime = ids.filter((id) => !id.endsWith(":FB1"));
    expect(oneTime).toHaveLength(10);
    expect(new Set(oneTime).size).toBe(10);
    expect(ids.filter((id) => id.endsWith(":FB1"))).toHaveLength(4);
    const sync = await syncClient(erin.call).next();
    expect(sync.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(sync.device_unused_fallback_key_types).toEqual([]);
    const unknown = await bob.call<Claim>("POST", "/keys/claim", { one_time_keys: { [carol.id]: { NOPE: "signed_curve25519" } } });
    expect(unknown.body).toEqual({ one_time_keys: {}, failures: {} });
  });
});

describe("device lists", () => {
  test("new device keys put their user in the changed list of those sharing a room, and in /keys/changes", async () => {
    await aliceUploaded();
    const bobSync = syncClient(bob.call);
    const carolSync = syncClient(carol.call);
    await Promise.all([bobSync.next(), carolSync.next()]);
    const from = bobSync.token!;
    const waiting = bobSync.next({ timeout: "10000" });
    expect((await alice.call("POST", "/keys/upload", { device_keys: aliceDevice.deviceKeys({ algorithms: [`m.test.${Date.now()}`] }) })).status).toBe(200);
    expect((await waiting).device_lists.changed).toContain(alice.id);
    expect((await carolSync.next()).device_lists.changed).not.toContain(alice.id);
    const changes = await bob.call<{ changed: string[]; left: string[] }>("GET", `/keys/changes?from=${from}&to=${bobSync.token}`);
    expect(changes.body.changed).toContain(alice.id);
    expectError(await bob.call("GET", "/keys/changes?from=garbage&to=x"), 400, "M_INVALID_PARAM");
  });

  test("joining a room makes its members changed; leaving the last shared room makes them left", async () => {
    const carolSync = syncClient(carol.call);
    await carolSync.next();
    await carol.call("POST", `/join/${enc(roomId)}`, {});
    const joined = await carolSync.next();
    expect(joined.device_lists.changed.sort()).toEqual([alice.id, bob.id, carol.id].sort());
    await carol.call("POST", `/rooms/${enc(roomId)}/leave`, {});
    const left = await carolSync.next();
    expect(left.device_lists.left.sort()).toEqual([alice.id, bob.id].sort());
  });

  test("a new login is a change for those sharing a room and for the user, before it has keys", async () => {
    const aliceSync = syncClient(alice.call);
    const bobSync = syncClient(bob.call);
    await Promise.all([aliceSync.next(), bobSync.next()]);
    await loginUser(server.baseUrl, "bob", undefined, { device_id: "BOBTABLET" });
    expect((await aliceSync.next()).device_lists.changed).toContain(bob.id);
    expect((await bobSync.next()).device_lists.changed).toContain(bob.id);
    // The same device logging in again is no new device.
    await loginUser(server.baseUrl, "bob", undefined, { device_id: "BOBTABLET" });
    expect((await aliceSync.next({ timeout: "0" })).device_lists?.changed ?? []).not.toContain(bob.id);
  });

  test("a deleted device leaves the query and is a change for those sharing a room", async () => {
    const session = await loginUser(server.baseUrl, "bob", undefined, { device_id: "BOBPHONE" });
    const phone = testDevice(bob.id, "BOBPHONE");
    const asPhone = asUser(server.baseUrl, session);
    await asPhone("POST", "/keys/upload", { device_keys: phone.deviceKeys(), one_time_keys: phone.oneTimeKeys(2) });
    expect(Object.keys((await query(alice, { [bob.id]: [] })).body.device_keys[bob.id]!)).toContain("BOBPHONE");
    const aliceSync = syncClient(alice.call);
    await aliceSync.next();
    expect((await asPhone("POST", "/logout", {})).status).toBe(200);
    expect((await aliceSync.next()).device_lists.changed).toContain(bob.id);
    expect(Object.keys((await query(alice, { [bob.id]: [] })).body.device_keys[bob.id]!)).not.toContain("BOBPHONE");
    const claim = await alice.call<Claim>("POST", "/keys/claim", { one_time_keys: { [bob.id]: { BOBPHONE: "signed_curve25519" } } });
    expect(claim.body.one_time_keys).toEqual({});
  });
});

describe("cross-signing", () => {
  let aliceCs = testCrossSigning("@alice:localhost");
  const upload = (who: TestUser, body: JsonObject) => who.call<UiaResponse>("POST", "/keys/device_signing/upload", body);
  const keysOf = (cs: ReturnType<typeof testCrossSigning>) => ({ master_key: cs.masterKey, self_signing_key: cs.selfSigningKey, user_signing_key: cs.userSigningKey });
  /** Alice's first cross-signing keys: no UIA for those. */
  const aliceCrossSigned = once(() => upload(alice, keysOf(aliceCs)));

  test("the first keys need no UIA; a replacement asks for the password; a retry of the same keys does not", async () => {
    expect((await aliceCrossSigned()).status).toBe(200);
    expect((await upload(alice, keysOf(aliceCs))).status).toBe(200);
    const next = testCrossSigning(alice.id);
    const replacement = { master_key: next.masterKey, self_signing_key: next.selfSigningKey, user_signing_key: next.userSigningKey };
    const challenge = await upload(alice, replacement);
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    const wrong = await upload(alice, { ...replacement, auth: passwordAuth(alice.id, challenge.body.session, "wrong") });
    expect(wrong.status).toBe(401);
    expect((await query(bob, { [alice.id]: [] })).body.master_keys[alice.id]).toEqual(aliceCs.masterKey);
    const res = await upload(alice, { ...replacement, auth: passwordAuth(alice.id, challenge.body.session) });
    expect(res.status).toBe(200);
    const seen = await query(alice, { [alice.id]: [] });
    expect(seen.body.master_keys[alice.id]).toEqual(next.masterKey);
    expect(seen.body.user_signing_keys?.[alice.id]).toEqual(next.userSigningKey);
    expect((await query(bob, { [alice.id]: [] })).body.user_signing_keys?.[alice.id]).toBeUndefined();
    aliceCs = next;
  });

  test("bad cross-signing keys are 400 and store nothing", async () => {
    const carolCs = testCrossSigning(carol.id);
    const other = testCrossSigning(carol.id);
    const res = await upload(carol, { master_key: carolCs.masterKey, self_signing_key: other.selfSigningKey });
    expectError(res, 400, "M_INVALID_SIGNATURE");
    expectError(await upload(carol, { master_key: { ...carolCs.masterKey, keys: {} } }), 400, "M_BAD_JSON");
    expectError(await upload(carol, { self_signing_key: carolCs.selfSigningKey }), 400, "M_MISSING_PARAM");
    expect((await query(alice, { [carol.id]: [] })).body.master_keys[carol.id]).toBeUndefined();
  });

  test("signatures: each verified; failures per key; the good ones kept and served", async () => {
    await Promise.all([aliceUploaded(), aliceCrossSigned()]);
    // The device's keys as stored (other tests may have re-uploaded them), signed by the self-signing key.
    const { unsigned: _, ...stored } = (await query(alice, { [alice.id]: [] })).body.device_keys[alice.id]![alice.session.device_id]!;
    const signedDevice = aliceCs.signWith(aliceCs.selfSigning, stored);
    const forged = testCrossSigning(alice.id).signWith(testCrossSigning(alice.id).selfSigning, aliceDevice.deviceKeys());
    const res = await alice.call<{ failures: Record<string, Record<string, { errcode: string }>> }>("POST", "/keys/signatures/upload", {
      [alice.id]: { [alice.session.device_id]: signedDevice, [randomKey()]: forged },
    });
    expect(res.status).toBe(200);
    expect(Object.values(res.body.failures[alice.id]!).map((f) => f.errcode)).toEqual(["M_NOT_FOUND"]);
    const device = (await query(bob, { [alice.id]: [] })).body.device_keys[alice.id]![alice.session.device_id]!;
    expect((device.signatures as Record<string, JsonObject>)[alice.id]).toHaveProperty(`ed25519:${aliceCs.selfSigning.publicKey}`);
    const bad = await alice.call<{ failures: Record<string, Record<string, { errcode: string }>> }>("POST", "/keys/signatures/upload", {
      [alice.id]: { [alice.session.device_id]: forged },
    });
    expect(bad.body.failures[alice.id]![alice.session.device_id]!.errcode).toBe("M_INVALID_SIGNATURE");
    // The same under `unstable`, MSC1756's prefix.
    const unstable = await fetch(`${server.baseUrl}/_matrix/client/unstable/keys/signatures/upload`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.session.access_token}`, "content-type": "application/json" },
      body: JSON.stringify({ [alice.id]: { [alice.session.device_id]: forged } }),
    });
    expect(unstable.status).toBe(200);
    expect(((await unstable.json()) as typeof bad.body).failures[alice.id]![alice.session.device_id]!.errcode).toBe("M_INVALID_SIGNATURE");
  });
});
