// What A serves to other servers about a room, asked by real (in-process) servers: events, state
// (full and as ids), auth chains, missing events, backfill, timestamps; refused to servers with no
// member in the room and to servers the room's ACL bars (403), including their membership
// handshakes, PDUs and EDUs. Also: make_join's version and user checks, knocking, and rejecting a
// remote invite (make_leave/send_leave).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, registerUser, trustTestCa, type Session } from "../../helpers/client";
import { createRoom, membershipOn, publicRoomWith, say, setState } from "../../helpers/federated-rooms";
import {
  startFederatedServer,
  startInProcessServer,
  type FederatedServer,
  type FederationSetup,
  type InProcessServer,
} from "../../helpers/federation";
import { createTestCa, type TestCa } from "../../helpers/tls";
import { rulesFor, wireForm } from "../../../src/core";
import { RemoteError } from "../../../src/net/federation-client";

let ca: TestCa;
let setup: FederationSetup;
let a: FederatedServer;
/** In the room. */
let c: InProcessServer;
/** Never in the room. */
let d: InProcessServer;
let alice: Session;
let mallory: Session;
let roomId: string;
let messageId: string;

beforeAll(async () => {
  ca = createTestCa();
  setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  [a, c, d] = await Promise.all([startFederatedServer(setup), startInProcessServer(setup), startInProcessServer(setup)]);
  [alice, mallory] = await Promise.all([registerUser(a.baseUrl, "alice"), registerUser(c.baseUrl, "mallory")]);
  roomId = await publicRoomWith(a, alice, c, mallory, { name: "served" });
  messageId = await say(a, alice, roomId, "served message");
});
afterAll(async () => {
  await Promise.all([c?.close(), d?.close()]);
  await a?.stop();
  ca?.remove();
});

const ask = <T = Record<string, unknown>>(from: InProcessServer, method: "GET" | "POST" | "PUT", path: string, body?: Record<string, unknown>) =>
  from.services.federation.client.request<T>(a.serverName, { method, path, body: body as never });
const statusOf = (p: Promise<unknown>) => p.then(() => 200, (e: unknown) => (e instanceof RemoteError ? e.status : -1));
const room = () => encodeURIComponent(roomId);

describe("for a server in the room", () => {
  test("an event, the state at it (full and ids) and its auth chain", async () => {
    const event = await ask<{ pdus: Record<string, unknown>[] }>(c, "GET", `/_matrix/federation/v1/event/${encodeURIComponent(messageId)}`);
    expect(event.pdus).toHaveLength(1);
    expect((event.pdus[0]!.content as { body: string }).body).toBe("served message");
    const ids = await ask<{ pdu_ids: string[]; auth_chain_ids: string[] }>(c, "GET", `/_matrix/federation/v1/state_ids/${room()}?event_id=${encodeURIComponent(messageId)}`);
    const full = await ask<{ pdus: { type: string }[]; auth_chain: unknown[] }>(c, "GET", `/_matrix/federation/v1/state/${room()}?event_id=${encodeURIComponent(messageId)}`);
    expect(full.pdus).toHaveLength(ids.pdu_ids.length);
    expect(full.pdus.map((p) => p.type)).toEqual(expect.arrayContaining(["m.room.create", "m.room.power_levels", "m.room.join_rules", "m.room.member"]));
    expect(full.auth_chain).toHaveLength(ids.auth_chain_ids.length);
    const auth = await ask<{ auth_chain: { type: string }[] }>(c, "GET", `/_matrix/federation/v1/event_auth/${room()}/${encodeURIComponent(messageId)}`);
    expect(auth.auth_chain.map((e) => e.type)).toContain("m.room.create");
  });

  test("missing events, backfill and the event closest to a time", async () => {
    const later = await say(a, alice, roomId, "later");
    const missing = await ask<{ events: { content: { body?: string } }[] }>(c, "POST", `/_matrix/federation/v1/get_missing_events/${room()}`, {
      earliest_events: [messageId],
      latest_events: [later],
      limit: 10,
    });
    expect(missing.events).toHaveLength(0); // nothing between them
    // Without earliest_events (older servers leave it out): everything before `later`, up to the limit.
    const open = await ask<{ events: { content: { body?: string } }[] }>(c, "POST", `/_matrix/federation/v1/get_missing_events/${room()}`, { latest_events: [later], limit: 1 });
    expect(open.events.map((e) => e.content.body)).toEqual(["served message"]);
    // Nor latest_events: nothing to walk back from.
    expect((await ask<{ events: unknown[] }>(c, "POST", `/_matrix/federation/v1/get_missing_events/${room()}`, {})).events).toEqual([]);
    const back = await ask<{ pdus: { content: { body?: string } }[] }>(c, "GET", `/_matrix/federation/v1/backfill/${room()}?v=${encodeURIComponent(later)}&limit=3`);
    expect(back.pdus.map((p) => p.content.body)).toEqual(["later", "served message", undefined]);
    const ts = await ask<{ event_id: string }>(c, "GET", `/_matrix/federation/v1/timestamp_to_event/${room()}?ts=${Date.now() + 60_000}&dir=b`);
    expect(ts.event_id).toBe(later);
  });

  test("make_join checks the versions the joiner understands and whose user it is", async () => {
    const user = encodeURIComponent(`@someone:${c.serverName}`);
    const wrongVersion = await ask(c, "GET", `/_matrix/federation/v1/make_join/${room()}/${user}?ver=1&ver=2`).catch((e: unknown) => e);
    expect((wrongVersion as RemoteError).status).toBe(400);
    expect((wrongVersion as RemoteError).errcode).toBe("M_INCOMPATIBLE_ROOM_VERSION");
    const notYours = await ask(c, "GET", `/_matrix/federation/v1/make_join/${room()}/${encodeURIComponent(alice.user_id)}?ver=12`).catch((e: unknown) => e);
    expect((notYours as RemoteError).status).toBe(403);
    const template = await ask<{ event: { sender: string; content: { membership: string } }; room_version: string }>(
      c, "GET", `/_matrix/federation/v1/make_join/${room()}/${user}?ver=12`,
    );
    expect(template.room_version).toBe("12");
    expect(template.event).toMatchObject({ sender: `@someone:${c.serverName}`, content: { membership: "join" } });
  });
});

test("once every local member has left, make_join answers 404: this server no longer holds the room", async () => {
  const user = encodeURIComponent(`@someone:${c.serverName}`);
  const abandoned = await publicRoomWith(a, alice, c, mallory, { name: "abandoned" });
  const path = `/_matrix/federation/v1/make_join/${encodeURIComponent(abandoned)}/${user}?ver=12`;
  expect(await statusOf(ask(c, "GET", path))).toBe(200);
  const left = await api(a.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(abandoned)}/leave`, { token: alice.access_token, body: {} });
  expect(left.status).toBe(200);
  const refused = await ask(c, "GET", path).catch((e: unknown) => e);
  expect([(refused as RemoteError).status, (refused as RemoteError).errcode]).toEqual([404, "M_NOT_FOUND"]);
});

describe("for a server with nobody in the room", () => {
  test("room reads are refused with 403", async () => {
    for (const path of [
      `/_matrix/federation/v1/state_ids/${room()}?event_id=${encodeURIComponent(messageId)}`,
      `/_matrix/federation/v1/state/${room()}?event_id=${encodeURIComponent(messageId)}`,
      `/_matrix/federation/v1/event_auth/${room()}/${encodeURIComponent(messageId)}`,
      `/_matrix/federation/v1/backfill/${room()}?v=${encodeURIComponent(messageId)}&limit=5`,
    ]) {
      expect({ path, status: await statusOf(ask(d, "GET", path)) }).toEqual({ path, status: 403 });
    }
    const missing = ask(d, "POST", `/_matrix/federation/v1/get_missing_events/${room()}`, { earliest_events: [], latest_events: [messageId] });
    expect(await statusOf(missing)).toBe(403);
  });
});

describe("knocking and rejecting invites across servers", () => {
  test("a user of another server knocks on a knock room", async () => {
    const knockRoomId = await createRoom(a, alice, {
      preset: "private_chat",
      initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }],
    });
    const dave = await registerUser(d.baseUrl, "dave");
    const knock = await api(d.baseUrl, "POST", `/_matrix/client/v3/knock/${encodeURIComponent(knockRoomId)}?via=${encodeURIComponent(a.serverName)}`, {
      token: dave.access_token,
      body: { reason: "let me in" },
    });
    expect(knock.status).toBe(200);
    expect(await membershipOn(a, alice, knockRoomId, dave.user_id)).toBe("knock");
  });

  test("an invited user of another server rejects the invite", async () => {
    const id = await createRoom(a, alice, { preset: "private_chat" });
    const erin = await registerUser(d.baseUrl, "erin");
    expect((await api(a.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(id)}/invite`, { token: alice.access_token, body: { user_id: erin.user_id } })).status).toBe(200);
    const reject = await api(d.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(id)}/leave`, { token: erin.access_token, body: {} });
    expect(reject.status).toBe(200);
    expect(await membershipOn(a, alice, id, erin.user_id)).toBe("leave");
  });
});

describe("a server the room's ACL bars", () => {
  test("gets 403 on reads and handshakes, errors for its PDUs, and its EDUs are ignored", async () => {
    // ACLs ignore ports and every test server is 127.0.0.1: this bars every other server, C too.
    await setState(a, alice, roomId, "m.room.server_acl", { allow: ["*"], deny: ["127.0.0.1"], allow_ip_literals: true });
    const user = encodeURIComponent(`@someone:${c.serverName}`);
    for (const [method, path] of [
      ["GET", `/_matrix/federation/v1/state_ids/${room()}?event_id=${encodeURIComponent(messageId)}`],
      ["GET", `/_matrix/federation/v1/backfill/${room()}?v=${encodeURIComponent(messageId)}&limit=5`],
      ["GET", `/_matrix/federation/v1/event/${encodeURIComponent(messageId)}`],
      ["GET", `/_matrix/federation/v1/make_join/${room()}/${user}?ver=12`],
      ["GET", `/_matrix/federation/v1/make_leave/${room()}/${encodeURIComponent(mallory.user_id)}`],
    ] as const) {
      expect({ path, status: await statusOf(ask(c, method, path)) }).toEqual({ path, status: 403 });
    }
    // Its PDUs get an error each.
    const head = c.services.rooms.heads.get(roomId)!;
    const { pdu } = c.services.rooms.builder.build(head, c.services.federation.view.currentState(roomId), {
      type: "m.room.message",
      content: { msgtype: "m.text", body: "from a barred server" },
      sender: mallory.user_id,
    });
    const sent = await ask<{ pdus: Record<string, { error?: string }> }>(c, "PUT", "/_matrix/federation/v1/send/acl-pdu", {
      origin: c.serverName,
      origin_server_ts: Date.now(),
      pdus: [wireForm(pdu, rulesFor(head.version))],
    });
    expect(sent.pdus[pdu.event_id]?.error).toContain("ACL");
    // Typing from a barred server changes nothing.
    await ask(c, "PUT", "/_matrix/federation/v1/send/acl-edu", {
      origin: c.serverName,
      origin_server_ts: Date.now(),
      pdus: [],
      edus: [{ edu_type: "m.typing", content: { room_id: roomId, user_id: mallory.user_id, typing: true } }],
    });
    const sync = await api<{ rooms?: { join?: Record<string, { ephemeral?: { events: { type: string; content: { user_ids: string[] } }[] } }> } }>(
      a.baseUrl, "GET", "/_matrix/client/v3/sync?timeout=0", { token: alice.access_token },
    );
    const typing = sync.body.rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === "m.typing");
    expect(typing?.content.user_ids ?? []).not.toContain(mallory.user_id);
  });
});
