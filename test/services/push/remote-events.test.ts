// Events from another server go through the same push rules as local ones: between two real
// instances over TLS, a message and a mention sent on A count as unread for B's user and reach
// B's push gateway, and a remote invite is pushed to its local invitee.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { api, registerUser, trustTestCa, type Session } from "../../helpers/client";
import { startFederatedServer, type FederatedServer, type FederationSetup } from "../../helpers/federation";
import { publicRoomWith, say, until } from "../../helpers/federated-rooms";
import { startPushGateway, type PushGateway } from "../../helpers/push-gateway";
import type { SyncBody } from "../../helpers/sync";
import { createTestCa, type TestCa } from "../../helpers/tls";

let ca: TestCa;
let setup: FederationSetup;
let gateway: PushGateway;
let a: FederatedServer;
let b: FederatedServer;
let alice: Session;
let bob: Session;

beforeAll(async () => {
  ca = createTestCa();
  setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  gateway = startPushGateway(ca);
  [a, b] = await Promise.all([startFederatedServer(setup), startFederatedServer(setup)]);
  [alice, bob] = await Promise.all([registerUser(a.baseUrl, "alice"), registerUser(b.baseUrl, "bob")]);
  const set = await api(b.baseUrl, "POST", "/_matrix/client/v3/pushers/set", {
    token: bob.access_token,
    body: { kind: "http", app_id: "org.example.app", pushkey: "bob", app_display_name: "App", device_display_name: "Phone", lang: "en", data: { url: gateway.url } },
  });
  expect(set.status).toBe(200);
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  gateway?.stop();
  ca?.remove();
});

async function countsOnB(roomId: string) {
  const body = (await api<SyncBody>(b.baseUrl, "GET", "/_matrix/client/v3/sync", { token: bob.access_token })).body;
  return body.rooms.join[roomId]?.unread_notifications;
}

test("a remote message and a remote mention count and are pushed", async () => {
  const roomId = await publicRoomWith(a, alice, b, bob);
  const plain = await say(a, alice, roomId, "hello from A");
  const mention = await api<{ event_id: string }>(a.baseUrl, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/m1`, {
    token: alice.access_token,
    body: { msgtype: "m.text", body: "bob?", "m.mentions": { user_ids: [bob.user_id] } },
  });
  const pushed = await gateway.waitFor((n) => n.event_id === mention.body.event_id, 30_000);
  expect(pushed).toMatchObject({ sender: alice.user_id, room_id: roomId, content: { body: "bob?" } });
  expect(pushed.devices[0]!.tweaks).toEqual({ sound: "default", highlight: true });
  expect(gateway.received.some((n) => n.event_id === plain)).toBe(true);
  expect(await until("the counts on B", async () => {
    const counts = await countsOnB(roomId);
    return counts?.notification_count === 2 ? counts : undefined;
  })).toEqual({ notification_count: 2, highlight_count: 1 });
}, 60_000);

test("an invite from another server is pushed to the invitee", async () => {
  const created = await api<{ room_id: string }>(a.baseUrl, "POST", "/_matrix/client/v3/createRoom", {
    token: alice.access_token,
    body: { preset: "private_chat", invite: [bob.user_id] },
  });
  const invite = await gateway.waitFor((n) => n.room_id === created.body.room_id && n.type === "m.room.member", 30_000);
  expect(invite).toMatchObject({ sender: alice.user_id, user_is_target: true, content: { membership: "invite" } });
}, 60_000);
