// Spaces across two real instances over TLS: a space on A holds rooms only A is in; B's user, in
// the space, gets its hierarchy with those rooms filled in by asking A, and room summaries of A's
// rooms through `via` and through an alias. A answers only what the asking server's users may see.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { api, registerUser, trustTestCa, type Session } from "../../helpers/client";
import { startFederatedServer, startInProcessServer, type FederatedServer, type FederationSetup, type InProcessServer } from "../../helpers/federation";
import { RemoteError } from "../../../src/net/federation-client";
import { createRoom, joinRoom, setState } from "../../helpers/federated-rooms";
import { createTestCa, type TestCa } from "../../helpers/tls";

let ca: TestCa;
let a: FederatedServer;
let b: FederatedServer;
/** In no room at all. */
let d: InProcessServer;
let alice: Session;
let bob: Session;
let space: string;
let open: string;
let inner: string;
let closed: string;
let sub: string;

interface Chunk {
  room_id: string;
  name?: string;
  room_type?: string;
  join_rule?: string;
  membership?: string;
  children_state?: { state_key: string }[];
}

beforeAll(async () => {
  ca = createTestCa();
  const setup: FederationSetup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  [a, b, d] = await Promise.all([startFederatedServer(setup), startFederatedServer(setup), startInProcessServer(setup)]);
  [alice, bob] = await Promise.all([registerUser(a.baseUrl, "alice"), registerUser(b.baseUrl, "bob")]);
  space = await createRoom(a, alice, { name: "Space on A", preset: "public_chat", creation_content: { type: "m.space" } });
  sub = await createRoom(a, alice, { name: "Sub on A", preset: "public_chat", creation_content: { type: "m.space" } });
  open = await createRoom(a, alice, { name: "Open on A", preset: "public_chat", room_alias_name: "open" });
  inner = await createRoom(a, alice, { name: "Inner on A", preset: "public_chat" });
  closed = await createRoom(a, alice, { name: "Closed on A", preset: "private_chat" });
  const link = (parent: string, child: string) => setState(a, alice, parent, "m.space.child", { via: [a.serverName] }, child);
  await link(space, open);
  await link(space, sub);
  await link(space, closed);
  await link(sub, inner);
  await joinRoom(b, bob, space, a.serverName);
}, 60_000);
afterAll(async () => {
  await d?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  ca?.remove();
});

test("B's hierarchy of a space it is in fills in A's rooms, without those B's users may not see", async () => {
  const res = await api<{ rooms: Chunk[] }>(b.baseUrl, "GET", `/_matrix/client/v1/rooms/${encodeURIComponent(space)}/hierarchy`, { token: bob.access_token });
  expect(res.status).toBe(200);
  expect(res.body.rooms.map((r) => r.name)).toEqual(["Space on A", "Open on A", "Sub on A", "Inner on A"]);
  const sub = res.body.rooms.find((r) => r.name === "Sub on A")!;
  expect(sub.room_type).toBe("m.space");
  expect(sub.children_state!.map((e) => e.state_key)).toEqual([inner]);
}, 30_000);

test("A's federation hierarchy for a server in no room: the space, the children it may see, the others as inaccessible", async () => {
  const ask = (roomId: string) => d.services.federation.client.request<{ room: Chunk; children: Chunk[]; inaccessible_children: string[] }>(a.serverName, {
    method: "GET",
    path: `/_matrix/federation/v1/hierarchy/${encodeURIComponent(roomId)}?suggested_only=false`,
  });
  const res = await ask(space);
  expect(res.room).toMatchObject({ room_id: space, name: "Space on A", room_type: "m.space" });
  expect(res.room.children_state!.map((e) => e.state_key).sort()).toEqual([open, closed, sub].sort());
  expect(res.children.map((c) => c.name).sort()).toEqual(["Open on A", "Sub on A"]);
  expect(res.children.every((c) => c.children_state === undefined)).toBe(true);
  expect(res.inaccessible_children).toEqual([closed]);
  const statusOf = (roomId: string) => ask(roomId).then(() => 200, (e: unknown) => (e instanceof RemoteError ? e.status : -1));
  expect(await statusOf(closed)).toBe(404);
  // A public room whose server ACL bars the asking server's host.
  const barred = await createRoom(a, alice, {
    name: "Barred", preset: "public_chat",
    initial_state: [{ type: "m.room.server_acl", state_key: "", content: { allow: ["*"], deny: ["127.0.0.1"], allow_ip_literals: true } }],
  });
  expect(await statusOf(barred)).toBe(403);
}, 30_000);

test("B summarises A's rooms through via and through A's alias; a closed one is 404", async () => {
  const viaA = `via=${encodeURIComponent(a.serverName)}`;
  const byVia = await api<Chunk>(b.baseUrl, "GET", `/_matrix/client/v1/room_summary/${encodeURIComponent(inner)}?${viaA}`, { token: bob.access_token });
  expect(byVia.status).toBe(200);
  expect(byVia.body).toMatchObject({ room_id: inner, name: "Inner on A", join_rule: "public", membership: "leave" });
  expect(byVia.body.children_state).toBeUndefined();
  const byAlias = await api<Chunk>(b.baseUrl, "GET", `/_matrix/client/v1/room_summary/${encodeURIComponent(`#open:${a.serverName}`)}`);
  expect(byAlias.body).toMatchObject({ room_id: open, name: "Open on A" });
  const closedOne = await api<{ errcode: string }>(b.baseUrl, "GET", `/_matrix/client/v1/room_summary/${encodeURIComponent(closed)}?${viaA}`, { token: bob.access_token });
  expect({ status: closedOne.status, errcode: closedOne.body.errcode }).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
}, 30_000);
