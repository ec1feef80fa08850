// Pushing to application services over real HTTP (spec "Pushing events", MSC2409): a real server
// process sends `PUT /_matrix/app/v1/transactions/{txnId}` with its hs_token to small test
// appservices: the events they are interested in (by user, membership target, room), in order,
// and nothing else; typing, receipts and presence under the key each registration asked for;
// failed transactions retried under the same id with the same items; and what was queued
// survives a restart of the server, delivered once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { enc } from "../../helpers/as-user";
import { appserviceFilesToml, startTestAppservice, writeRegistration, type ReceivedTransaction, type TestAppservice } from "../../helpers/appservice";
import { api } from "../../helpers/client";
import { createRoom, sendMessage } from "../../helpers/rooms";
import { startServer, type TestServer } from "../../helpers/server";
import { addUser, type TestUser } from "../../helpers/users";

const dir = mkdtempSync(join(tmpdir(), "conduit-as-push-"));
let server: TestServer;
let alice: TestUser;
/** Users namespace `@bridge_.*`, `receive_ephemeral`. */
let bridge: TestAppservice;
/** Every room (`!.*`), MSC2409's unstable `push_ephemeral` only. */
let watcher: TestAppservice;
/** Users namespace `@flaky_.*`; the retry test makes it fail. */
let flaky: TestAppservice;

beforeAll(async () => {
  [bridge, watcher, flaky] = [startTestAppservice(), startTestAppservice(), startTestAppservice()];
  const files = [
    writeRegistration(dir, { id: "bridge", url: bridge.url, users: ["@bridge_.*"], extra: ["receive_ephemeral: true"] }),
    writeRegistration(dir, { id: "watcher", url: watcher.url, users: [], rooms: ["!.*"], extra: ["de.sorunome.msc2409.push_ephemeral: true"] }),
    writeRegistration(dir, { id: "flaky", url: flaky.url, users: ["@flaky_.*"] }),
  ];
  server = await startServer({ toml: appserviceFilesToml(files) });
  alice = await addUser(server, "alice");
  for (const [token, username] of [["as-bridge", "bridge_bob"], ["as-flaky", "flaky_fred"]] as const) {
    const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/register", { token, body: { type: "m.login.application_service", username } });
    expect(res.status).toBe(200);
  }
});
afterAll(async () => {
  await server?.stop();
  for (const as of [bridge, watcher, flaky]) as?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A request as an appservice's user (identity assertion with the as_token). */
const asPuppet = (token: string, userId: string, method: string, path: string, body?: unknown) =>
  api(server.baseUrl, method, `/_matrix/client/v3${path}${path.includes("?") ? "&" : "?"}user_id=${enc(userId)}`, { token, body });

/** A room of alice's with the puppet invited and joined. */
async function roomWithPuppet(token: string, puppet: string): Promise<string> {
  const roomId = await createRoom(server.baseUrl, alice.session);
  expect((await alice.call("POST", `/rooms/${enc(roomId)}/invite`, { user_id: puppet })).status).toBe(200);
  expect((await asPuppet(token, puppet, "POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
  return roomId;
}

const eventIds = (as: TestAppservice, roomId: string) => as.acceptedEvents().filter((e) => e.room_id === roomId).map((e) => e.event_id);
const ephemeralOf = (t: ReceivedTransaction, key: string) => (t.body[key] ?? []) as Record<string, unknown>[];

describe("events", () => {
  test("events of interest reach the appservice in order with its hs_token; other rooms' do not", async () => {
    const elsewhere = await createRoom(server.baseUrl, alice.session);
    const unseen = await sendMessage(server.baseUrl, alice.session, elsewhere, "not for the bridge");
    const roomId = await createRoom(server.baseUrl, alice.session);
    expect((await alice.call("POST", `/rooms/${enc(roomId)}/invite`, { user_id: "@bridge_bob:localhost" })).status).toBe(200);
    expect((await asPuppet("as-bridge", "@bridge_bob:localhost", "POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
    const first = await sendMessage(server.baseUrl, alice.session, roomId, "one");
    const second = await sendMessage(server.baseUrl, alice.session, roomId, "two");

    await bridge.until(() => eventIds(bridge, roomId).includes(second));
    const events = bridge.acceptedEvents().filter((e) => e.room_id === roomId);
    // The invite and the join name the puppet; the messages come from a room it is in.
    expect(events.map((e) => [e.type, e.state_key ?? (e.content as { body?: string }).body])).toEqual([
      ["m.room.member", "@bridge_bob:localhost"],
      ["m.room.member", "@bridge_bob:localhost"],
      ["m.room.message", "one"],
      ["m.room.message", "two"],
    ]);
    expect(events.map((e) => (e.content as { membership?: string }).membership).slice(0, 2)).toEqual(["invite", "join"]);
    expect(events[2]).toMatchObject({ event_id: first, sender: alice.id, origin_server_ts: expect.any(Number), content: { msgtype: "m.text", body: "one" } });
    expect(bridge.acceptedEvents().some((e) => e.event_id === unseen || e.room_id === elsewhere)).toBe(false);
    expect(new Set(bridge.transactions.map((t) => t.authorization))).toEqual(new Set(["Bearer hs-bridge"]));
    // The rooms namespace `!.*` covers every room, this one included.
    await watcher.until(() => eventIds(watcher, roomId).includes(second));
    expect(eventIds(watcher, elsewhere)).toContain(unseen);
  });

  test("each event is delivered once, in one transaction or another, under increasing ids", async () => {
    const roomId = await roomWithPuppet("as-bridge", "@bridge_bob:localhost");
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) sent.push(await sendMessage(server.baseUrl, alice.session, roomId, `n${i}`));
    await bridge.until(() => eventIds(bridge, roomId).includes(sent.at(-1)!));
    const received = eventIds(bridge, roomId).filter((id) => sent.includes(id as string));
    expect(received).toEqual(sent);
    const ids = bridge.transactions.map((t) => Number(t.txnId));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("ephemeral", () => {
  test("typing, receipts and presence go under `ephemeral` to a receive_ephemeral appservice", async () => {
    const roomId = await roomWithPuppet("as-bridge", "@bridge_bob:localhost");
    const eventId = await sendMessage(server.baseUrl, alice.session, roomId, "read me");
    const all = () => bridge.transactions.flatMap((t) => ephemeralOf(t, "ephemeral"));
    expect((await alice.call("PUT", `/rooms/${enc(roomId)}/typing/${enc(alice.id)}`, { typing: true, timeout: 30_000 })).status).toBe(200);
    const typing = await bridge.until(() => all().find((e) => e.type === "m.typing" && e.room_id === roomId));
    expect(typing.content).toEqual({ user_ids: [alice.id] });

    // alice's private receipt is hers alone; the puppet's is the appservice's own.
    expect((await alice.call("POST", `/rooms/${enc(roomId)}/receipt/m.read.private/${enc(eventId)}`, {})).status).toBe(200);
    expect((await asPuppet("as-bridge", "@bridge_bob:localhost", "POST", `/rooms/${enc(roomId)}/receipt/m.read.private/${enc(eventId)}`, {})).status).toBe(200);
    expect((await alice.call("POST", `/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {})).status).toBe(200);
    const receipts = () => all().filter((e) => e.type === "m.receipt" && e.room_id === roomId);
    await bridge.until(() => receipts().some((e) => JSON.stringify(e.content).includes('"m.read":')));
    expect(receipts().map((e) => e.content)).toEqual([
      { [eventId]: { "m.read.private": { "@bridge_bob:localhost": { ts: expect.any(Number) } } } },
      { [eventId]: { "m.read": { [alice.id]: { ts: expect.any(Number) } } } },
    ]);

    expect((await alice.call("PUT", `/presence/${enc(alice.id)}/status`, { presence: "unavailable", status_msg: "lunch" })).status).toBe(200);
    const presence = await bridge.until(() => all().find((e) => e.type === "m.presence" && (e.content as { status_msg?: string }).status_msg === "lunch"));
    expect(presence).toMatchObject({ sender: alice.id, content: { presence: "unavailable", status_msg: "lunch" } });
    expect(bridge.transactions.some((t) => "de.sorunome.msc2409.ephemeral" in t.body)).toBe(false);
  });

  test("MSC2409's unstable registration key gets the unstable transaction key; without either, none", async () => {
    const roomId = await createRoom(server.baseUrl, alice.session);
    expect((await alice.call("PUT", `/rooms/${enc(roomId)}/typing/${enc(alice.id)}`, { typing: true, timeout: 30_000 })).status).toBe(200);
    const typing = await watcher.until(() =>
      watcher.transactions.flatMap((t) => ephemeralOf(t, "de.sorunome.msc2409.ephemeral")).find((e) => e.type === "m.typing" && e.room_id === roomId));
    expect(typing.content).toEqual({ user_ids: [alice.id] });
    expect(watcher.transactions.some((t) => "ephemeral" in t.body)).toBe(false);
    // flaky did not opt in: its transactions carry events only.
    const flakyRoom = await roomWithPuppet("as-flaky", "@flaky_fred:localhost");
    expect((await alice.call("PUT", `/rooms/${enc(flakyRoom)}/typing/${enc(alice.id)}`, { typing: true, timeout: 30_000 })).status).toBe(200);
    const marker = await sendMessage(server.baseUrl, alice.session, flakyRoom, "after typing");
    await flaky.until(() => eventIds(flaky, flakyRoom).includes(marker));
    expect(flaky.transactions.every((t) => Object.keys(t.body).join() === "events")).toBe(true);
  });
});

describe("delivery", () => {
  test("a refused transaction is retried under the same id with the same events, then the queue moves on", async () => {
    const roomId = await roomWithPuppet("as-flaky", "@flaky_fred:localhost");
    // Everything so far is delivered before the appservice goes down.
    const settled = await sendMessage(server.baseUrl, alice.session, roomId, "settled");
    await flaky.until(() => eventIds(flaky, roomId).includes(settled));
    flaky.transactionStatus = 500;
    const before = flaky.transactions.length;
    const first = await sendMessage(server.baseUrl, alice.session, roomId, "while down");
    const failed = await flaky.until(() => flaky.transactions.slice(before).filter((t) => eventIds2(t).includes(first)).length >= 2 && flaky.transactions.slice(before));
    const attempts = failed.filter((t) => eventIds2(t).includes(first));
    expect(attempts[1]!.txnId).toBe(attempts[0]!.txnId);
    expect(attempts[1]!.body).toEqual(attempts[0]!.body);
    flaky.transactionStatus = 200;
    const later = await sendMessage(server.baseUrl, alice.session, roomId, "back up");
    await flaky.until(() => eventIds(flaky, roomId).includes(later));
    const accepted = eventIds(flaky, roomId);
    expect(accepted.filter((id) => id === first)).toHaveLength(1);
    expect(accepted.indexOf(first)).toBeLessThan(accepted.indexOf(later));
  });
});

const eventIds2 = (t: ReceivedTransaction) => t.body.events.map((e) => e.event_id);

test("what was queued survives a restart of the server and is delivered once", async () => {
  const as = startTestAppservice();
  const data = mkdtempSync(join(tmpdir(), "conduit-as-restart-"));
  const toml = appserviceFilesToml([writeRegistration(dir, { id: "durable", url: as.url, users: ["@durable_.*"] })]);
  let running = await startServer({ toml, dataDir: data });
  try {
    const carol = await addUser(running, "carol");
    const reg = await api(running.baseUrl, "POST", "/_matrix/client/v3/register", { token: "as-durable", body: { type: "m.login.application_service", username: "durable_dan" } });
    expect(reg.status).toBe(200);
    const roomId = await createRoom(running.baseUrl, carol.session, { invite: ["@durable_dan:localhost"] });
    const join = await api(running.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId)}?user_id=${enc("@durable_dan:localhost")}`, { token: "as-durable", body: {} });
    expect(join.status).toBe(200);
    const settled = await sendMessage(running.baseUrl, carol.session, roomId, "settled");
    await as.until(() => eventIds(as, roomId).includes(settled));
    as.transactionStatus = 503;
    const before = as.transactions.length;
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push(await sendMessage(running.baseUrl, carol.session, roomId, `queued ${i}`));
    // The first transaction is fixed and refused; the rest wait behind it.
    const refused = await as.until(() => as.transactions[before]);
    expect(await running.stop()).toBe(0);

    as.transactionStatus = 200;
    running = await startServer({ toml, dataDir: data });
    await as.until(() => eventIds(as, roomId).includes(sent.at(-1)!));
    const accepted = eventIds(as, roomId);
    for (const id of sent) expect(accepted.filter((e) => e === id)).toHaveLength(1);
    // The transaction fixed before the restart went out again unchanged.
    const resent = as.transactions.filter((t) => t.txnId === refused.txnId);
    expect(resent.at(-1)!.body).toEqual(refused.body);
  } finally {
    await running.stop();
    as.stop();
    rmSync(data, { recursive: true, force: true });
  }
});
