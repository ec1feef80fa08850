// matrix-js-sdk with its Rust crypto (the WebAssembly build from npm, under Bun) on this server:
// Bob joins an encrypted room after Alice's invite (the path that failed with 404 /keys/query);
// two users with two devices each decrypt every message of the room; cross-signing is bootstrapped
// and each user verifies the other's identity by emoji (SAS); key backup is set up with secret
// storage, and a device that logs in later decrypts earlier history from the backup.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ClientEvent, RoomMemberEvent, type MatrixClient } from "matrix-js-sdk";
import {
  CryptoEvent,
  VerificationPhase,
  VerificationRequestEvent,
  VerifierEvent,
  type GeneratedSecretStorageKey,
  type ShowSasCallbacks,
  type VerificationRequest,
} from "matrix-js-sdk/lib/crypto-api/index.js";
import { loginUser, passwordAuth, registerUser, type Session } from "../helpers/client";
import { decrypted, startSdkClient, until } from "../helpers/js-sdk";
import { once } from "../helpers/once";
import { serverForTests } from "../helpers/server";

const server = serverForTests();
const password = "correct horse battery staple";

/** Alice's secret storage key (her recovery key), once created: what she would type in. */
let recoveryKey: GeneratedSecretStorageKey | undefined;
const clients: MatrixClient[] = [];

async function startedClient(session: Session): Promise<MatrixClient> {
  const client = await startSdkClient(server.baseUrl, session, {
    crypto: true,
    cryptoCallbacks: {
      // The account has one secret storage key: the recovery key, when it exists.
      getSecretStorageKey: async ({ keys }) => (recoveryKey ? [Object.keys(keys)[0]!, recoveryKey.privateKey] : null),
    },
  });
  clients.push(client);
  return client;
}

let alice1: MatrixClient;
let alice2: MatrixClient;
let bob1: MatrixClient;
let bob2: MatrixClient;
let roomId: string;

beforeAll(async () => {
  const [alice, bob] = await Promise.all([registerUser(server.baseUrl, "alice", password), registerUser(server.baseUrl, "bob", password)]);
  const [aliceLaptop, bobPhone] = await Promise.all([loginUser(server.baseUrl, "alice", password), loginUser(server.baseUrl, "bob", password)]);
  [alice1, alice2, bob1, bob2] = await Promise.all([startedClient(alice), startedClient(aliceLaptop), startedClient(bob), startedClient(bobPhone)]);
}, 60_000);

afterAll(() => {
  for (const client of clients) client.stopClient();
});

/** Alice creates an encrypted room and invites Bob; Bob joins once he sees the invite. */
const encryptedRoom = once(async () => {
  const invited = until(bob1, [RoomMemberEvent.Membership, ClientEvent.Room], () => bob1.getRooms().find((r) => r.getMyMembership() === "invite")?.roomId, "the invite");
  roomId = (
    await alice1.createRoom({
      name: "secrets",
      invite: [bob1.getUserId()!],
      initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
    })
  ).room_id;
  if ((await invited) !== roomId) throw new Error("Bob saw another invite");
  await bob1.joinRoom(roomId);
  await until(alice1, [RoomMemberEvent.Membership], () => (alice1.getRoom(roomId)?.getMember(bob1.getUserId()!)?.membership === "join" ? true : undefined), "Bob joined");
  return roomId;
});

describe("an encrypted room", () => {
  test("Bob joins after Alice's invite", async () => {
    const id = await encryptedRoom();
    expect(bob1.getRoom(id)?.getMyMembership()).toBe("join");
    expect(await alice1.getCrypto()!.isEncryptionEnabledInRoom(id)).toBe(true);
  });

  test("every device of both users decrypts every message", async () => {
    await encryptedRoom();
    const seen = [alice2, bob1, bob2].map((c) => decrypted(c, roomId, "hello from alice"));
    await alice1.sendTextMessage(roomId, "hello from alice");
    for (const event of await Promise.all(seen)) expect(event.getSender()).toBe(alice1.getUserId()!);

    const replies = [alice1, alice2, bob1].map((c) => decrypted(c, roomId, "hello from bob's phone"));
    await bob2.sendTextMessage(roomId, "hello from bob's phone");
    await Promise.all(replies);

    const again = [alice1, bob1, bob2].map((c) => decrypted(c, roomId, "and from alice's laptop"));
    await alice2.sendTextMessage(roomId, "and from alice's laptop");
    await Promise.all(again);
  });
});

async function bootstrap(client: MatrixClient, user: string): Promise<void> {
  await client.getCrypto()!.bootstrapCrossSigning({
    authUploadDeviceSigningKeys: async (makeRequest) => {
      await makeRequest(passwordAuth(user, "", password));
    },
  });
}
const crossSigned = once(async () => {
  await bootstrap(alice1, "alice");
  await bootstrap(bob1, "bob");
});

describe("cross-signing", () => {
  test("both users bootstrap cross-signing", async () => {
    await crossSigned();
    expect(await alice1.getCrypto()!.isCrossSigningReady()).toBe(true);
    expect(await bob1.getCrypto()!.isCrossSigningReady()).toBe(true);
    // The other device learns its own user's new identity through the device-list stream.
    await until(alice2, [CryptoEvent.UserTrustStatusChanged, ClientEvent.Sync], async () => ((await alice2.getCrypto()!.getCrossSigningStatus()).publicKeysOnDevice ? true : undefined), "Alice's identity on her laptop");
  });

  test("Alice verifies Bob by emoji; each then sees the other's identity verified", async () => {
    await Promise.all([encryptedRoom(), crossSigned()]);
    const confirmSas = (sas: ShowSasCallbacks) => void sas.confirm();
    const incoming = new Promise<VerificationRequest>((resolve) => bob1.on(CryptoEvent.VerificationRequestReceived, resolve));
    const request = await alice1.getCrypto()!.requestVerificationDM(bob1.getUserId()!, roomId);
    const bobsRequest = await incoming;
    await bobsRequest.accept();
    await new Promise<void>((resolve) => {
      const check = () => request.phase === VerificationPhase.Ready && resolve();
      request.on(VerificationRequestEvent.Change, check);
      check();
    });
    const aliceVerifier = await request.startVerification("m.sas.v1");
    aliceVerifier.on(VerifierEvent.ShowSas, confirmSas);
    const bobVerifier = await new Promise<NonNullable<VerificationRequest["verifier"]>>((resolve) => {
      const check = () => bobsRequest.verifier && resolve(bobsRequest.verifier);
      bobsRequest.on(VerificationRequestEvent.Change, check);
      check();
    });
    bobVerifier.on(VerifierEvent.ShowSas, confirmSas);
    await Promise.all([aliceVerifier.verify(), bobVerifier.verify()]);
    // Each side signs the other's master key and reads it back through /keys/query.
    const verified = (client: MatrixClient, other: string) =>
      until(client, [CryptoEvent.UserTrustStatusChanged, ClientEvent.Sync], async () => ((await client.getCrypto()!.getUserVerificationStatus(other)).isCrossSigningVerified() ? true : undefined), `${other} verified`);
    await Promise.all([verified(alice1, bob1.getUserId()!), verified(bob1, alice1.getUserId()!)]);
  });
});

describe("key backup", () => {
  test("a device that logs in later decrypts earlier messages from the backup", async () => {
    await encryptedRoom();
    const crypto = alice1.getCrypto()!;
    await crypto.bootstrapSecretStorage({
      createSecretStorageKey: async () => (recoveryKey = await crypto.createRecoveryKeyFromPassphrase()),
      setupNewKeyBackup: true,
    });
    expect(await crypto.getActiveSessionBackupVersion()).not.toBeNull();

    await alice1.sendTextMessage(roomId, "before the new device");
    // The SDK uploads new room keys after a random delay of up to 10 s: watch the server's count.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await fetch(`${server.baseUrl}/_matrix/client/v3/room_keys/version`, { headers: { authorization: `Bearer ${alice1.getAccessToken()}` } });
      if (((await res.json()) as { count?: number }).count! > 0) break;
      if (Date.now() > deadline) throw new Error("the room key never reached the backup");
      await Bun.sleep(100);
    }

    const later = await startedClient(await loginUser(server.baseUrl, "alice", password));
    const laterCrypto = later.getCrypto()!;
    await laterCrypto.loadSessionBackupPrivateKeyFromSecretStorage();
    await laterCrypto.checkKeyBackupAndEnable();
    const restored = await laterCrypto.restoreKeyBackup();
    expect(restored.imported).toBeGreaterThan(0);
    await decrypted(later, roomId, "before the new device");
  }, 60_000);
});
