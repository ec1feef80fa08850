// Pushers over HTTP (spec "Pushers") and delivery to a real HTTPS push gateway: GET /pushers,
// POST /pushers/set (create, update, append, delete, refusals), exactly the pushes the push rules
// imply (never for the sender's own events or muted rooms), badge updates on receipts, the
// event_id_only format, rejected pushkeys, pushers ending with their device, and pushes queued
// while the gateway is down surviving a killed server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, loginUser } from "../../helpers/client";
import { gatewayToml, startPushGateway, type Notify, type PushGateway } from "../../helpers/push-gateway";
import { startServer, type TestServer } from "../../helpers/server";
import { createTestCa, type TestCa } from "../../helpers/tls";
import { addUser, type TestUser } from "../../helpers/users";

const enc = encodeURIComponent;
/** Deliveries wait on another thread and process: generous on a busy machine. */
const DELIVERY_TIMEOUT_MS = 20_000;
let ca: TestCa;
let gateway: PushGateway;
let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let roomId: string;
let txn = 0;

beforeAll(async () => {
  ca = createTestCa();
  gateway = startPushGateway(ca);
  server = await startServer({ toml: gatewayToml(ca) });
  alice = await addUser(server, "alice");
  bob = await addUser(server, "bob");
  roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat", name: "Push test" })).body.room_id;
  await bob.call("POST", `/join/${enc(roomId)}`, {});
  await alice.call("PUT", `/profile/${enc(alice.id)}/displayname`, { displayname: "Alice A." });
});
afterAll(async () => {
  await server?.stop();
  gateway?.stop();
  ca?.remove();
});

const pusher = (pushkey: string, extra: Record<string, unknown> = {}, data: Record<string, unknown> = {}) => ({
  kind: "http",
  app_id: "org.example.app",
  pushkey,
  app_display_name: "Example",
  device_display_name: "Phone",
  lang: "en",
  data: { url: gateway.url, ...data },
  ...extra,
});

async function say(who: TestUser, body: string, extra: Record<string, unknown> = {}, room = roomId): Promise<string> {
  const res = await who.call<{ event_id: string }>("PUT", `/rooms/${enc(room)}/send/m.room.message/p${++txn}`, { msgtype: "m.text", body, ...extra });
  expect(res.status).toBe(200);
  return res.body.event_id;
}
const pushesFor = (pushkey: string) => gateway.received.filter((n) => n.devices.some((d) => d.pushkey === pushkey));
const eventPushesFor = (pushkey: string) => pushesFor(pushkey).filter((n) => n.event_id !== undefined);
const bodyOf = (n: Notify) => n.content?.body;

describe("POST /pushers/set and GET /pushers", () => {
  test("a pusher is created, listed as set, and updated in place", async () => {
    expect((await alice.call("POST", "/pushers/set", pusher("list-1", { profile_tag: "tag" }))).status).toBe(200);
    expect((await alice.call("POST", "/pushers/set", pusher("list-1", { lang: "de", profile_tag: "tag" }))).status).toBe(200);
    const listed = (await alice.call<{ pushers: Record<string, unknown>[] }>("GET", "/pushers")).body.pushers;
    expect(listed).toEqual([
      {
        pushkey: "list-1", kind: "http", app_id: "org.example.app", app_display_name: "Example",
        device_display_name: "Phone", lang: "de", profile_tag: "tag", data: { url: gateway.url },
      },
    ]);
    expect((await alice.call("POST", "/pushers/set", { kind: null, app_id: "org.example.app", pushkey: "list-1" })).status).toBe(200);
    expect((await alice.call<{ pushers: unknown[] }>("GET", "/pushers")).body.pushers).toEqual([]);
  });

  test("a pushkey set without append is taken from other users; with append it is shared", async () => {
    const carol = await addUser(server, "carol");
    await alice.call("POST", "/pushers/set", pusher("shared"));
    await carol.call("POST", "/pushers/set", pusher("shared", { append: true }));
    const count = async (who: TestUser) => (await who.call<{ pushers: unknown[] }>("GET", "/pushers")).body.pushers.length;
    expect([await count(alice), await count(carol)]).toEqual([1, 1]);
    await carol.call("POST", "/pushers/set", pusher("shared"));
    expect([await count(alice), await count(carol)]).toEqual([0, 1]);
  });

  const refusals: [string, () => Record<string, unknown>, number, string][] = [
    ["missing parameters", () => ({ kind: "http", app_id: "a", pushkey: "k" }), 400, "M_MISSING_PARAM"],
    ["no pushkey", () => ({ kind: "http", app_id: "a" }), 400, "M_MISSING_PARAM"],
    ["an email pusher", () => ({ ...pusher("e"), kind: "email", app_id: "m.email" }), 400, "M_INVALID_PARAM"],
    ["an unknown kind", () => ({ ...pusher("e"), kind: "carrier-pigeon" }), 400, "M_INVALID_PARAM"],
    ["a plain http gateway", () => pusher("e", {}, { url: "http://push.example/_matrix/push/v1/notify" }), 400, "M_INVALID_PARAM"],
    ["a gateway URL with another path", () => pusher("e", {}, { url: "https://push.example/notify" }), 400, "M_INVALID_PARAM"],
    ["no gateway URL", () => ({ ...pusher("e"), data: {} }), 400, "M_MISSING_PARAM"],
    ["a format that is not a string", () => pusher("e", {}, { format: 5 }), 400, "M_INVALID_PARAM"],
    ["an app_id over 64 characters", () => pusher("e", { app_id: "a".repeat(65) }), 400, "M_INVALID_PARAM"],
    ["a pushkey over 512 bytes", () => pusher("é".repeat(257)), 400, "M_INVALID_PARAM"],
  ];
  for (const [name, body, status, errcode] of refusals) {
    test(`refused: ${name}`, async () => {
      const res = await bob.call<{ errcode: string; error: string }>("POST", "/pushers/set", body());
      expect([res.status, res.body.errcode]).toEqual([status, errcode]);
      expect((await bob.call<{ pushers: unknown[] }>("GET", "/pushers")).body.pushers).toEqual([]);
    });
  }

  test("a format other than event_id_only is kept as given", async () => {
    const fullPusher = pusher("fmt", {}, { format: "full" });
    expect((await alice.call("POST", "/pushers/set", fullPusher)).status).toBe(200);
    const listed = (await alice.call<{ pushers: { pushkey: string; data: Record<string, unknown> }[] }>("GET", "/pushers")).body.pushers;
    expect(listed.find((p) => p.pushkey === "fmt")?.data.format).toBe("full");
    expect((await alice.call("POST", "/pushers/set", { ...fullPusher, kind: null })).status).toBe(200);
  });

  test("missing parameters are named in the error", async () => {
    const res = await bob.call<{ error: string }>("POST", "/pushers/set", { kind: "http", app_id: "a", pushkey: "k", lang: "en" });
    expect(res.body.error).toBe("Missing parameters: app_display_name, device_display_name, data");
  });
});

describe("delivery", () => {
  beforeAll(async () => {
    expect((await bob.call("POST", "/pushers/set", pusher("bob-phone"))).status).toBe(200);
  }, DELIVERY_TIMEOUT_MS);

  test("a message is pushed with the event's fields, the unread count and the rule's tweaks", async () => {
    const eventId = await say(alice, "Hello Bob");
    const n = await gateway.waitFor((x) => x.event_id === eventId);
    expect(n).toMatchObject({
      id: eventId, event_id: eventId, room_id: roomId, type: "m.room.message", sender: alice.id, sender_display_name: "Alice A.",
      room_name: "Push test", prio: "high", content: { msgtype: "m.text", body: "Hello Bob" }, counts: { unread: 1 },
    });
    expect(n.devices).toEqual([
      { app_id: "org.example.app", pushkey: "bob-phone", pushkey_ts: expect.any(Number), data: {}, tweaks: { sound: "default" } },
    ]);
    // Seconds, not milliseconds.
    expect(Math.abs(n.devices[0]!.pushkey_ts - Date.now() / 1000)).toBeLessThan(600);
  }, DELIVERY_TIMEOUT_MS);

  test("exactly the pushes the rules imply: none for own events, notices or a muted room; mentions highlight", async () => {
    const before = eventPushesFor("bob-phone").length;
    const muted = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
    await bob.call("POST", `/join/${enc(muted)}`, {});
    await bob.call("PUT", `/pushrules/global/room/${enc(muted)}`, { actions: [] });
    await say(bob, "bob's own");
    await say(alice, "a notice", { msgtype: "m.notice" });
    await say(alice, "in the muted room", {}, muted);
    const mention = await say(alice, "Bob, look", { "m.mentions": { user_ids: [bob.id] } });
    const last = await say(alice, "last");
    await gateway.waitFor((x) => x.event_id === last);
    // Pushes of one pusher arrive in order, so nothing else can still be on its way.
    expect(eventPushesFor("bob-phone").slice(before).map(bodyOf)).toEqual(["Bob, look", "last"]);
    const highlighted = eventPushesFor("bob-phone").find((x) => x.event_id === mention)!;
    expect(highlighted.devices[0]!.tweaks).toEqual({ sound: "default", highlight: true });
    // Bob's own message read the room: only the two newer ones are unread.
    expect(eventPushesFor("bob-phone").find((x) => x.event_id === last)!.counts).toEqual({ unread: 2 });
  }, DELIVERY_TIMEOUT_MS);

  test("an invite is pushed to the invitee as its target, with its membership; a room without a name goes by its alias", async () => {
    const res = await alice.call<{ room_id: string }>("POST", "/createRoom", { room_alias_name: "push-alias", invite: [bob.id] });
    expect(res.status).toBe(200);
    const n = await gateway.waitFor((x) => x.room_id === res.body.room_id && x.type === "m.room.member");
    expect(n).toMatchObject({
      sender: alice.id, user_is_target: true, membership: "invite", room_name: "#push-alias:localhost", room_alias: "#push-alias:localhost",
      content: { membership: "invite" },
    });
  }, DELIVERY_TIMEOUT_MS);

  test("a read receipt sends the new badge count, without an event", async () => {
    const last = await say(alice, "read me");
    await gateway.waitFor((x) => x.event_id === last);
    await bob.call("POST", `/rooms/${enc(roomId)}/receipt/m.read/${enc(last)}`, {});
    const badge = await gateway.waitFor((x) => x.event_id === undefined && x.counts?.unread === 0);
    expect(badge.devices[0]!.pushkey).toBe("bob-phone");
    expect(badge.type).toBeUndefined();
  }, DELIVERY_TIMEOUT_MS);

  test("event_id_only pushes carry the ids, the counts and the priority only", async () => {
    const carol = await addUser(server, "dave");
    await carol.call("POST", `/join/${enc(roomId)}`, {});
    await carol.call("POST", "/pushers/set", pusher("dave-phone", {}, { format: "event_id_only", custom: 7 }));
    const eventId = await say(alice, "secret text");
    const n = await gateway.waitFor((x) => x.event_id === eventId && x.devices[0]!.pushkey === "dave-phone");
    expect(Object.keys(n).sort()).toEqual(["counts", "devices", "event_id", "prio", "room_id"]);
    expect(n.devices[0]!.data).toEqual({ format: "event_id_only", custom: 7 });
  }, DELIVERY_TIMEOUT_MS);

  test("a pushkey the gateway rejects loses its pusher", async () => {
    const erin = await addUser(server, "erin");
    await erin.call("POST", `/join/${enc(roomId)}`, {});
    await erin.call("POST", "/pushers/set", pusher("erin-old-phone"));
    gateway.rejecting.add("erin-old-phone");
    const eventId = await say(alice, "to erin");
    await gateway.waitFor((x) => x.event_id === eventId && x.devices[0]!.pushkey === "erin-old-phone");
    const deadline = Date.now() + 10_000;
    while ((await erin.call<{ pushers: unknown[] }>("GET", "/pushers")).body.pushers.length > 0) {
      if (Date.now() > deadline) throw new Error("the rejected pusher is still there");
      await Bun.sleep(25);
    }
  }, DELIVERY_TIMEOUT_MS);

  test("a pusher ends with the device that set it", async () => {
    const second = await loginUser(server.baseUrl, "bob");
    const asSecond = (method: string, path: string, body?: unknown) =>
      api<{ pushers: { pushkey: string }[] }>(server.baseUrl, method, `/_matrix/client/v3${path}`, { token: second.access_token, body });
    await asSecond("POST", "/pushers/set", pusher("bob-tablet"));
    expect((await bob.call<{ pushers: { pushkey: string }[] }>("GET", "/pushers")).body.pushers.map((p) => p.pushkey).sort()).toEqual(["bob-phone", "bob-tablet"]);
    await asSecond("POST", "/logout", {});
    expect((await bob.call<{ pushers: { pushkey: string }[] }>("GET", "/pushers")).body.pushers.map((p) => p.pushkey)).toEqual(["bob-phone"]);
  }, DELIVERY_TIMEOUT_MS);
});

test("pushes queued while the gateway is down survive a killed server and go out after the restart", async () => {
  const own = await startServer({ toml: gatewayToml(ca), dataDir: mkdtempSync(join(tmpdir(), "conduit-push-restart-")) });
  let restarted: TestServer | undefined;
  try {
    const a = await addUser(own, "alice");
    const b = await addUser(own, "bob");
    const room = (await a.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
    await b.call("POST", `/join/${enc(room)}`, {});
    await b.call("POST", "/pushers/set", pusher("durable"));
    gateway.down = true;
    const refusedBefore = gateway.refused;
    const sent = [await say(a, "while down 1", {}, room), await say(a, "while down 2", {}, room)];
    // The worker tried once and backs off; then the server dies without a clean stop.
    const deadline = Date.now() + 10_000;
    while (gateway.refused === refusedBefore) {
      if (Date.now() > deadline) throw new Error("the gateway was never tried");
      await Bun.sleep(20);
    }
    own.proc.kill("SIGKILL");
    await own.proc.exited;
    gateway.down = false;
    restarted = await startServer({ toml: gatewayToml(ca), dataDir: own.dataDir });
    await gateway.waitFor((x) => x.event_id === sent[1], 20_000);
    expect(eventPushesFor("durable").map((n) => n.event_id)).toEqual(sent);
  } finally {
    gateway.down = false;
    await restarted?.stop();
    rmSync(own.dataDir, { recursive: true, force: true });
  }
}, 60_000);
