// E2EE across two real instances over TLS on loopback: keys of the other server's users are
// queried (GET /user/devices, then the cache) and claimed (POST /user/keys/claim); device changes
// travel as m.device_list_update and cross-signing keys as m.signing_key_update through the
// durable sender queue, and reach the other side's /sync; to-device messages cross both ways,
// also after the receiver was down; EDUs about users of another server than the sender are dropped.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonObject } from "../../../src/core";
import { asUser, type UserCall } from "../../helpers/as-user";
import { loginUser, registerUser, type Session } from "../../helpers/client";
import { testCrossSigning, testDevice } from "../../helpers/e2ee-keys";
import { publicRoomWith, sharedRoom, until } from "../../helpers/federated-rooms";
import { freePort, startFederatedPair, startFederatedServer, startRoomWithInProcessGuest, type FederatedPair, type RoomWithInProcessGuest } from "../../helpers/federation";
import { once } from "../../helpers/once";
import { syncClient } from "../../helpers/sync";

type Query = { device_keys: Record<string, Record<string, JsonObject>>; master_keys: Record<string, JsonObject>; failures: JsonObject };

interface World {
  pair: FederatedPair;
  aliceDevice: ReturnType<typeof testDevice>;
  alice: UserCall;
  bob: UserCall;
  roomId: string;
}

/** Alice on A and Bob on B, sharing a room; Alice's first device has published its keys. */
const world = once(async (): Promise<World> => {
  const pair = await startFederatedPair({ a: "alice", b: "bob" });
  const alice = asUser(pair.a.baseUrl, pair.userA);
  const bob = asUser(pair.b.baseUrl, pair.userB);
  const roomId = await sharedRoom(pair.a, pair.userA, pair.b, pair.userB, "e2ee");
  const aliceDevice = testDevice(pair.userA.user_id, pair.userA.device_id);
  await alice("POST", "/keys/upload", { device_keys: aliceDevice.deviceKeys(), one_time_keys: aliceDevice.oneTimeKeys(5), fallback_keys: aliceDevice.fallbackKey() });
  return { pair, aliceDevice, alice, bob, roomId };
});
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  const w = await world();
  await w.pair.close();
});

const devicesOf = async (who: UserCall, userId: string) => (await who<Query>("POST", "/keys/query", { device_keys: { [userId]: [] } })).body.device_keys[userId] ?? {};

describe("keys across servers", () => {
  test("Bob's server asks Alice's for her devices and claims her one-time keys", async () => {
    const { pair, aliceDevice, alice, bob } = await world();
    const devices = await devicesOf(bob, pair.userA.user_id);
    expect(devices[pair.userA.device_id]!.keys).toEqual(aliceDevice.deviceKeys().keys);
    const before = (await alice<{ one_time_key_counts: Record<string, number> }>("POST", "/keys/upload", {})).body.one_time_key_counts.signed_curve25519!;
    const claim = await bob<{ one_time_keys: Record<string, Record<string, JsonObject>>; failures: JsonObject }>("POST", "/keys/claim", {
      one_time_keys: { [pair.userA.user_id]: { [pair.userA.device_id]: "signed_curve25519" } },
    });
    expect(claim.body.failures).toEqual({});
    expect(Object.keys(claim.body.one_time_keys[pair.userA.user_id]![pair.userA.device_id]!)).toHaveLength(1);
    const after = (await alice<{ one_time_key_counts: Record<string, number> }>("POST", "/keys/upload", {})).body.one_time_key_counts.signed_curve25519!;
    expect(after).toBe(before - 1);
  }, 60_000);

  test("a server that cannot be reached is a failure, not an error", async () => {
    const { bob } = await world();
    const res = await bob<Query>("POST", "/keys/query", { device_keys: { "@nobody:127.0.0.1:1": [] }, timeout: 2_000 });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.failures)).toEqual(["127.0.0.1:1"]);
  }, 60_000);
});

describe("device lists across servers", () => {
  test("a new device of Alice's reaches Bob's sync and his view of her devices; its deletion too", async () => {
    const { pair, bob } = await world();
    const bobSync = syncClient(bob);
    await bobSync.next();
    await devicesOf(bob, pair.userA.user_id); // B tracks Alice's list from here on
    const phone = await loginUser(pair.a.baseUrl, "alice", undefined, { device_id: "ALICEPHONE" });
    const keys = testDevice(pair.userA.user_id, "ALICEPHONE");
    await asUser(pair.a.baseUrl, phone)("POST", "/keys/upload", { device_keys: keys.deviceKeys() });
    await until("Alice in Bob's changed list", async () => ((await bobSync.next({ timeout: "2000" })).device_lists.changed.includes(pair.userA.user_id) ? true : undefined));
    // The login and the upload are two changes; the keys may be a moment behind the first.
    await until("the phone's keys in Bob's view", async () => (Object.keys(await devicesOf(bob, pair.userA.user_id)).includes("ALICEPHONE") ? true : undefined));
    await asUser(pair.a.baseUrl, phone)("POST", "/logout", {});
    await until("the phone gone from Bob's view", async () => (Object.keys(await devicesOf(bob, pair.userA.user_id)).includes("ALICEPHONE") ? undefined : true));
  }, 60_000);

  test("Alice's cross-signing keys reach Bob's server", async () => {
    const { pair, alice, bob } = await world();
    await devicesOf(bob, pair.userA.user_id);
    const cs = testCrossSigning(pair.userA.user_id);
    expect((await alice("POST", "/keys/device_signing/upload", { master_key: cs.masterKey, self_signing_key: cs.selfSigningKey, user_signing_key: cs.userSigningKey })).status).toBe(200);
    const master = await until("Alice's master key on B", async () => {
      const res = await bob<Query>("POST", "/keys/query", { device_keys: { [pair.userA.user_id]: [] } });
      return res.body.master_keys[pair.userA.user_id];
    });
    expect(master).toEqual(cs.masterKey);
  }, 60_000);
});

describe("to-device across servers", () => {
  test("both ways, to one device and to every device with *", async () => {
    const { pair, alice, bob } = await world();
    const aliceSync = syncClient(alice);
    const bobSync = syncClient(bob);
    await Promise.all([aliceSync.next(), bobSync.next()]);
    await bob("PUT", "/sendToDevice/m.test/x1", { messages: { [pair.userA.user_id]: { "*": { hello: "alice" } } } });
    const toAlice = await until("Bob's message at Alice", async () => (await aliceSync.next({ timeout: "2000" })).to_device.events.find((e) => e.type === "m.test"));
    expect(toAlice).toEqual({ sender: pair.userB.user_id, type: "m.test", content: { hello: "alice" } });
    await alice("PUT", "/sendToDevice/m.test/x2", { messages: { [pair.userB.user_id]: { [pair.userB.device_id]: { hello: "bob" } } } });
    const toBob = await until("Alice's message at Bob", async () => (await bobSync.next({ timeout: "2000" })).to_device.events.find((e) => e.type === "m.test"));
    expect(toBob).toEqual({ sender: pair.userA.user_id, type: "m.test", content: { hello: "bob" } });
  }, 60_000);

  test("a message sent while the receiver is down arrives once it is back", async () => {
    const { pair } = await world();
    const dataDir = mkdtempSync(join(tmpdir(), "conduit-durable-"));
    const port = freePort();
    let carolServer = await startFederatedServer(pair.setup, { dataDir, port });
    cleanups.push(async () => {
      await carolServer.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const carol: Session = await registerUser(carolServer.baseUrl, "carol");
    await publicRoomWith(pair.a, pair.userA, carolServer, carol);
    await carolServer.stop();
    await asUser(pair.a.baseUrl, pair.userA)("PUT", "/sendToDevice/m.test/down1", { messages: { [carol.user_id]: { [carol.device_id]: { while: "down" } } } });
    carolServer = await startFederatedServer(pair.setup, { dataDir, port });
    const carolCall = asUser(carolServer.baseUrl, carol);
    // A request from Carol's server tells Alice's that it is back (else its backoff timer does, later).
    await carolCall("POST", "/keys/query", { device_keys: { [pair.userA.user_id]: [] } });
    const carolSync = syncClient(carolCall);
    const got = await until("the queued message at Carol", async () => (await carolSync.next({ timeout: "2000" })).to_device.events.find((e) => e.type === "m.test"));
    expect(got).toEqual({ sender: pair.userA.user_id, type: "m.test", content: { while: "down" } });
  }, 120_000);
});

describe("EDUs from a server about users it does not host", () => {
  let room: RoomWithInProcessGuest;
  const spoofSetup = once(async () => {
    room = await startRoomWithInProcessGuest({ owner: "owner", guest: "guest" });
    cleanups.push(() => room.close());
    return room;
  });

  /** C sends A a transaction holding these EDUs, signed as C. */
  async function sendEdus(edus: JsonObject[]): Promise<void> {
    const { a, c } = room;
    await c.services.federation.client.request(a.serverName, {
      method: "PUT",
      path: `/_matrix/federation/v1/send/spoof${Date.now()}${Math.random()}`,
      body: { origin: c.serverName, origin_server_ts: Date.now(), pdus: [], edus },
    });
  }

  test("a to-device message whose sender is not the origin's is dropped; the origin's own is delivered", async () => {
    const { a, owner, guest } = await spoofSetup();
    const ownerSync = syncClient(asUser(a.baseUrl, owner));
    await ownerSync.next();
    const to = { [owner.user_id]: { [owner.device_id]: { n: 0 } } };
    await sendEdus([
      { edu_type: "m.direct_to_device", content: { sender: "@someone:elsewhere.test", type: "m.spoofed", message_id: "s1", messages: to } },
      { edu_type: "m.direct_to_device", content: { sender: owner.user_id, type: "m.spoofed", message_id: "s2", messages: to } },
      { edu_type: "m.direct_to_device", content: { sender: guest.user_id, type: "m.genuine", message_id: "g1", messages: to } },
    ]);
    const events = await until("the genuine message", async () => {
      const got = (await ownerSync.next({ timeout: "2000" })).to_device.events;
      return got.length > 0 ? got : undefined;
    });
    expect(events).toEqual([{ sender: guest.user_id, type: "m.genuine", content: { n: 0 } }]);
  }, 60_000);

  test("device-list and signing-key updates about another server's user change nothing", async () => {
    const { a, owner } = await spoofSetup();
    const ownerCall = asUser(a.baseUrl, owner);
    const ownerSync = syncClient(ownerCall);
    await ownerSync.next();
    const victim = owner.user_id;
    await sendEdus([
      { edu_type: "m.device_list_update", content: { user_id: victim, device_id: owner.device_id, stream_id: 99, prev_id: [], deleted: true } },
      { edu_type: "m.signing_key_update", content: { user_id: victim, master_key: testCrossSigning(victim).masterKey } },
    ]);
    // A transaction is answered after its EDUs are applied: by now they have been, or never will.
    const after = await ownerSync.next();
    expect(after.device_lists.changed).not.toContain(victim);
    const res = await ownerCall<Query>("POST", "/keys/query", { device_keys: { [victim]: [] } });
    expect(res.body.master_keys[victim]).toBeUndefined();
  }, 60_000);
});
