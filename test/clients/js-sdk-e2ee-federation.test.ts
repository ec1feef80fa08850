// The same encrypted conversation across two federated instances over TLS: Alice (two devices) on
// one server, Bob (two devices) on the other, each a matrix-js-sdk client with its Rust crypto.
// Bob joins Alice's encrypted room over federation after her invite; every device of both users
// decrypts every message, which needs keys queried and claimed across servers, room keys sent as
// to-device messages over federation, and device lists kept current by EDUs.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ClientEvent, RoomMemberEvent, type MatrixClient } from "matrix-js-sdk";
import { loginUser, type Session } from "../helpers/client";
import { startFederatedPair, type FederatedPair } from "../helpers/federation";
import { decrypted, startSdkClient, until } from "../helpers/js-sdk";

let pair: FederatedPair;
const clients: MatrixClient[] = [];

async function started(baseUrl: string, session: Session): Promise<MatrixClient> {
  const client = await startSdkClient(baseUrl, session, { crypto: true, ca: pair.setup.ca.caCert });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  pair = await startFederatedPair({ a: "alice", b: "bob" });
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.stopClient();
  await pair?.close();
});

test("two users on two servers, two devices each, decrypt every message of their encrypted room", async () => {
  const [aliceLaptop, bobLaptop] = await Promise.all([loginUser(pair.a.baseUrl, "alice"), loginUser(pair.b.baseUrl, "bob")]);
  const [alice1, alice2, bob1, bob2] = await Promise.all([
    started(pair.a.baseUrl, pair.userA),
    started(pair.a.baseUrl, aliceLaptop),
    started(pair.b.baseUrl, pair.userB),
    started(pair.b.baseUrl, bobLaptop),
  ]);
  const invited = until(bob1, [RoomMemberEvent.Membership, ClientEvent.Room], () => bob1.getRooms().find((r) => r.getMyMembership() === "invite")?.roomId, "the invite");
  const { room_id: roomId } = await alice1.createRoom({
    name: "across servers",
    invite: [pair.userB.user_id],
    initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
  });
  expect(await invited).toBe(roomId);
  await bob1.joinRoom(roomId);
  await until(alice1, [RoomMemberEvent.Membership], () => (alice1.getRoom(roomId)?.getMember(pair.userB.user_id)?.membership === "join" ? true : undefined), "Bob joined");

  const toEveryone = [alice2, bob1, bob2].map((c) => decrypted(c, roomId, "hello Bob, across servers"));
  await alice1.sendTextMessage(roomId, "hello Bob, across servers");
  for (const event of await Promise.all(toEveryone)) expect(event.getSender()).toBe(pair.userA.user_id);

  const replies = [alice1, alice2, bob1].map((c) => decrypted(c, roomId, "hello Alice, from Bob's laptop"));
  await bob2.sendTextMessage(roomId, "hello Alice, from Bob's laptop");
  await Promise.all(replies);
}, 90_000);
