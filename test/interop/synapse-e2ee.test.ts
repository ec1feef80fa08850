// End-to-end encryption with the reference homeserver: each side queries and claims the other's
// users' keys over federation, to-device messages cross both ways, and a matrix-js-sdk client with
// its Rust crypto on each server holds an encrypted conversation in a room of ours that the
// Synapse user joins after an invite.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ClientEvent, RoomMemberEvent, type MatrixClient } from "matrix-js-sdk";
import type { JsonObject } from "../../src/core";
import { api, loginUser, type Session } from "../helpers/client";
import { testDevice } from "../helpers/e2ee-keys";
import { decrypted, startSdkClient, until } from "../helpers/js-sdk";
import type { FederatedServer } from "../helpers/federation";
import { interopPair, synapseVersion, waitFor } from "./pair";
import type { Synapse, SynapseUser } from "./synapse";

type Query = { device_keys: Record<string, Record<string, JsonObject>>; failures: JsonObject };
type Claim = { one_time_keys: Record<string, Record<string, JsonObject>>; failures: JsonObject };

describe.skipIf(!synapseVersion)(`E2EE with Synapse ${synapseVersion ?? ""}`, () => {
  const pair = interopPair();
  let synapse: Synapse;
  let ours: FederatedServer;
  let bob: SynapseUser;
  let alice: Session;
  let aliceKeys: ReturnType<typeof testDevice>;
  let bobKeys: ReturnType<typeof testDevice>;
  const clients: MatrixClient[] = [];

  beforeAll(async () => {
    ({ synapse, ours, bob, alice } = pair);
    aliceKeys = testDevice(alice.user_id, alice.device_id);
    bobKeys = testDevice(bob.user_id, bob.device_id);
    // Each side's user has published keys, and they share a room (Synapse tracks Alice from then on).
    const uploaded = await api(ours.baseUrl, "POST", "/_matrix/client/v3/keys/upload", {
      token: alice.access_token,
      body: { device_keys: aliceKeys.deviceKeys(), one_time_keys: aliceKeys.oneTimeKeys(5), fallback_keys: aliceKeys.fallbackKey() },
    });
    expect(uploaded.status).toBe(200);
    const bobUpload = await synapse.api("POST", "/_matrix/client/v3/keys/upload", {
      token: bob.access_token,
      body: { device_keys: bobKeys.deviceKeys(), one_time_keys: bobKeys.oneTimeKeys(5) },
    });
    expect(bobUpload.status).toBe(200);
  }, 60_000);
  afterAll(() => {
    for (const client of clients) client.stopClient();
  });

  test("Synapse queries our user's device keys and claims a one-time key", async () => {
    const res = await synapse.api("POST", "/_matrix/client/v3/keys/query", { token: bob.access_token, body: { device_keys: { [alice.user_id]: [] } } });
    expect(res.status).toBe(200);
    expect(res.body.failures).toEqual({});
    const devices = (res.body as unknown as Query).device_keys[alice.user_id]!;
    expect(devices[alice.device_id]!.keys).toEqual(aliceKeys.deviceKeys().keys);
    const claim = await synapse.api("POST", "/_matrix/client/v3/keys/claim", {
      token: bob.access_token,
      body: { one_time_keys: { [alice.user_id]: { [alice.device_id]: "signed_curve25519" } } },
    });
    expect(claim.status).toBe(200);
    expect(Object.keys((claim.body as unknown as Claim).one_time_keys[alice.user_id]![alice.device_id]!)).toHaveLength(1);
  });

  test("we query and claim a Synapse user's keys", async () => {
    const res = await api<Query>(ours.baseUrl, "POST", "/_matrix/client/v3/keys/query", { token: alice.access_token, body: { device_keys: { [bob.user_id]: [] } } });
    expect(res.status).toBe(200);
    expect(res.body.failures).toEqual({});
    expect(res.body.device_keys[bob.user_id]![bob.device_id]!.keys).toEqual(bobKeys.deviceKeys().keys);
    const claim = await api<Claim>(ours.baseUrl, "POST", "/_matrix/client/v3/keys/claim", {
      token: alice.access_token,
      body: { one_time_keys: { [bob.user_id]: { [bob.device_id]: "signed_curve25519" } } },
    });
    expect(claim.body.failures).toEqual({});
    expect(Object.keys(claim.body.one_time_keys[bob.user_id]![bob.device_id]!)).toHaveLength(1);
  });

  test("to-device messages cross both ways", async () => {
    const sync = (url: string, token: string, since?: string) =>
      api<{ next_batch: string; to_device?: { events: JsonObject[] } }>(url, "GET", `/_matrix/client/v3/sync?timeout=1000${since ? `&since=${since}` : ""}`, { token });
    let aliceSince = (await sync(ours.baseUrl, alice.access_token)).body.next_batch;
    let bobSince = (await synapse.api("GET", "/_matrix/client/v3/sync?timeout=0", { token: bob.access_token })).body.next_batch as string;
    const fromBob = await synapse.api("PUT", `/_matrix/client/v3/sendToDevice/m.interop/b${Date.now()}`, {
      token: bob.access_token,
      body: { messages: { [alice.user_id]: { [alice.device_id]: { from: "synapse" } } } },
    });
    expect(fromBob.status).toBe(200);
    const atAlice = await waitFor("Bob's message at Alice", async () => {
      const res = await sync(ours.baseUrl, alice.access_token, aliceSince);
      aliceSince = res.body.next_batch;
      return res.body.to_device?.events.find((e) => e.type === "m.interop");
    });
    expect(atAlice).toEqual({ sender: bob.user_id, type: "m.interop", content: { from: "synapse" } });
    const fromAlice = await api(ours.baseUrl, "PUT", `/_matrix/client/v3/sendToDevice/m.interop/a${Date.now()}`, {
      token: alice.access_token,
      body: { messages: { [bob.user_id]: { "*": { from: "conduit" } } } },
    });
    expect(fromAlice.status).toBe(200);
    const atBob = await waitFor("Alice's message at Bob", async () => {
      const res = await synapse.api("GET", `/_matrix/client/v3/sync?timeout=1000&since=${bobSince}`, { token: bob.access_token });
      bobSince = res.body.next_batch as string;
      return ((res.body.to_device as { events: JsonObject[] } | undefined)?.events ?? []).find((e) => e.type === "m.interop");
    });
    expect(atBob).toMatchObject({ sender: alice.user_id, type: "m.interop", content: { from: "conduit" } });
  });

  test("a matrix-js-sdk client on each server: an encrypted room of ours, joined by the Synapse user", async () => {
    const [aliceLaptop, daveSynapse] = await Promise.all([loginUser(ours.baseUrl, "alice"), synapse.registerUser(`dave${Date.now()}`)]);
    const ca = pair.ca.caCert;
    const [aliceClient, daveClient] = await Promise.all([
      startSdkClient(ours.baseUrl, aliceLaptop, { crypto: true, ca }),
      startSdkClient(synapse.baseUrl, daveSynapse, { crypto: true, ca }),
    ]);
    clients.push(aliceClient, daveClient);
    const invited = until(daveClient, [RoomMemberEvent.Membership, ClientEvent.Room], () => daveClient.getRooms().find((r) => r.getMyMembership() === "invite")?.roomId, "the invite on Synapse");
    const { room_id: roomId } = await aliceClient.createRoom({
      name: "encrypted across implementations",
      invite: [daveSynapse.user_id],
      initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
    });
    expect(await invited).toBe(roomId);
    await daveClient.joinRoom(roomId);
    await until(aliceClient, [RoomMemberEvent.Membership], () => (aliceClient.getRoom(roomId)?.getMember(daveSynapse.user_id)?.membership === "join" ? true : undefined), "Dave joined");

    const atDave = decrypted(daveClient, roomId, "hello Synapse, from conduit");
    await aliceClient.sendTextMessage(roomId, "hello Synapse, from conduit");
    expect((await atDave).getSender()).toBe(alice.user_id);
    const atAlice = decrypted(aliceClient, roomId, "hello conduit, from Synapse");
    await daveClient.sendTextMessage(roomId, "hello conduit, from Synapse");
    expect((await atAlice).getSender()).toBe(daveSynapse.user_id);
  }, 90_000);
});
