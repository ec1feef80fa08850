// Forks between servers in a room large enough that resolving its state goes to the worker pool
// (as main.ts wires it): the hosting server holds 1,000 members; a second server, partly cut off,
// changes the topic while the host renames the room; a merge event from the host then reaches the
// second server, which must resolve the two forks and end with both changes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rulesFor, wireForm, type JsonObject } from "../../../../src/core";
import { registerUser, trustTestCa, type Session } from "../../../helpers/client";
import { createRoom, joinRoom, say, setState, stateContent, until } from "../../../helpers/federated-rooms";
import { startInProcessServer, type FederationSetup, type InProcessServer } from "../../../helpers/federation";
import { createTestCa, type TestCa } from "../../../helpers/tls";

const MEMBERS = 1_000;

let ca: TestCa;
let setup: FederationSetup;
let host: InProcessServer;
let other: InProcessServer;
let owner: Session;
let guest: Session;
let roomId: string;

beforeAll(async () => {
  ca = createTestCa();
  setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  [host, other] = await Promise.all([startInProcessServer(setup), startInProcessServer(setup, { stateResPool: true })]);
  [owner, guest] = await Promise.all([registerUser(host.baseUrl, "owner"), registerUser(other.baseUrl, "guest")]);
  roomId = await createRoom(host, owner, { preset: "public_chat" });
  const levels = (await stateContent(host, owner, roomId, "m.room.power_levels"))!;
  await setState(host, owner, roomId, "m.room.power_levels", { ...levels, state_default: 0 });
  await Promise.all(
    Array.from({ length: MEMBERS }, (_, i) =>
      host.services.rooms.send.send(roomId, {
        type: "m.room.member",
        state_key: `@m${i}:${host.serverName}`,
        sender: `@m${i}:${host.serverName}`,
        content: { membership: "join" },
      }),
    ),
  );
  await joinRoom(other, guest, roomId, host.serverName);
}, 120_000);
afterAll(async () => {
  await Promise.all([host?.close(), other?.close()]);
  ca?.remove();
});

test("a merge of two forks of a large room is resolved, and both sides' changes survive", async () => {
  // The other server's events stay home from now on, until the test hands one over.
  await other.sender.stop();
  await setState(other, guest, roomId, "m.room.topic", { topic: "topic from the other server" });
  await setState(host, owner, roomId, "m.room.name", { name: "name from the host" });
  // The host learns the topic change: it now has two forward extremities.
  const topicId = other.services.rooms.heads.get(roomId)!.extremities[0]!;
  const topic = other.services.rooms.eventStore.getPdu(topicId)!;
  const res = await other.services.federation.client.request<{ pdus: Record<string, JsonObject> }>(host.serverName, {
    method: "PUT",
    path: "/_matrix/federation/v1/send/fork-1",
    body: { origin: other.serverName, origin_server_ts: Date.now(), pdus: [wireForm(topic, rulesFor("12"))] },
  });
  expect(res.pdus[topicId]).toEqual({});
  expect(host.services.rooms.heads.get(roomId)!.extremities).toHaveLength(2);
  // The host's next event merges both forks; the other server gets it (and fetches the name change).
  await say(host, owner, roomId, "merged");
  const name = await until("the host's name on the other server", async () => {
    const content = await stateContent(other, guest, roomId, "m.room.name");
    return content?.name === "name from the host" ? content : undefined;
  });
  expect(name.name).toBe("name from the host");
  expect((await stateContent(other, guest, roomId, "m.room.topic"))?.topic).toBe("topic from the other server");
  expect((await stateContent(host, owner, roomId, "m.room.topic"))?.topic).toBe("topic from the other server");
}, 60_000);
