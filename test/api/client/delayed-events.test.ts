// Delayed events (MSC4140) over HTTP: scheduling through /send and /state with `delay` and through
// the MSC's own endpoint, the management actions, the lists, the limits, the cancellation by a
// conflicting state event, and durability: an event due while the server was down is sent when
// it starts again.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, expectError, registerUser, type ApiResponse, type Session } from "../../helpers/client";
import { createRoom, enc, joinRoom, setState } from "../../helpers/rooms";
import { startServer, type StartOptions, type TestServer } from "../../helpers/server";
import type { SyncBody, SyncEvent } from "../../helpers/sync";

const PREFIX = "/_matrix/client/unstable/org.matrix.msc4140";
const LIMITS = "max_delayed_event_delay_ms = 600000\nmax_delayed_events_per_user = 3";

let server: TestServer;
let alice: Session;
let bob: Session;

beforeAll(async () => {
  server = await startServer({ toml: LIMITS });
  alice = await registerUser(server.baseUrl, "alice");
  bob = await registerUser(server.baseUrl, "bob");
});
afterAll(() => server.stop());

let txn = 0;
const call = <T = Record<string, unknown>>(who: Session, method: string, path: string, body?: unknown, base = server.baseUrl): Promise<ApiResponse<T>> =>
  api<T>(base, method, path, { token: who.access_token, body });

function delayedSend(who: Session, roomId: string, delayMs: number, body: string, base = server.baseUrl) {
  return call<Scheduled>(who, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/d${++txn}?org.matrix.msc4140.delay=${delayMs}`, { msgtype: "m.text", body }, base);
}

function delayedState(who: Session, roomId: string, type: string, stateKey: string, content: Record<string, unknown>, delayMs: number) {
  return call<Scheduled>(who, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}?delay=${delayMs}`, content);
}

/** The answer to scheduling: the delay id, or an error. */
interface Scheduled {
  delay_id: string;
  errcode?: string;
  max_delay?: number;
}

interface Delayed {
  errcode?: string;
  delay_id: string;
  room_id: string;
  type: string;
  state_key?: string;
  delay_ms: number;
  scheduled_at: number;
  content: Record<string, unknown>;
  event_id?: string;
  error?: { errcode: string };
  finalised_ts?: number;
}

const listOf = async (who: Session, base = server.baseUrl) =>
  (await call<{ delayed_events: Delayed[]; scheduled: Delayed[]; finalised: Delayed[] }>(who, "GET", `${PREFIX}/delayed_events`, undefined, base)).body;

const one = (who: Session, delayId: string) => call<Delayed>(who, "GET", `${PREFIX}/delayed_events/${enc(delayId)}`);

/** Long-polls `who`'s /sync until an event `match` accepts shows in the room's timeline. */
async function arrives(base: string, who: Session, roomId: string, match: (e: SyncEvent) => boolean): Promise<SyncEvent> {
  let since: string | undefined;
  for (let round = 0; round < 20; round++) {
    const qs = since === undefined ? "" : `?since=${enc(since)}&timeout=10000`;
    const res = await api<SyncBody>(base, "GET", `/_matrix/client/v3/sync${qs}`, { token: who.access_token });
    const found = res.body.rooms.join[roomId]?.timeline.events.find(match);
    if (found) return found;
    since = res.body.next_batch;
  }
  throw new Error("the event never arrived");
}

/** Cancels what a test left scheduled, so the per-user limit never carries over to another test. */
async function cancelAll(who: Session): Promise<void> {
  for (const d of (await listOf(who)).delayed_events) await call(who, "POST", `${PREFIX}/delayed_events/${enc(d.delay_id)}/cancel`, {});
}

describe("scheduling", () => {
  test("a delayed message is sent when its delay runs out, with its owner as sender", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const res = await delayedSend(alice, roomId, 300, "hung up");
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["delay_id"]);
    const event = await arrives(server.baseUrl, alice, roomId, (e) => e.content.body === "hung up");
    expect(event.sender).toBe(alice.user_id);
    const done = await one(alice, res.body.delay_id);
    expect(done.body).toMatchObject({ delay_id: res.body.delay_id, room_id: roomId, type: "m.room.message", delay_ms: 300, event_id: event.event_id });
    expect(done.body.finalised_ts).toBeGreaterThanOrEqual(done.body.scheduled_at + 300);
    expect((await listOf(alice)).delayed_events.map((d) => d.delay_id)).not.toContain(res.body.delay_id);
  });

  test("the sent event carries its delay id in unsigned for its sender only, with no transaction id", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    await joinRoom(server.baseUrl, bob, roomId);
    const { delay_id } = (await delayedSend(alice, roomId, 200, "left the call")).body;
    const mine = await arrives(server.baseUrl, alice, roomId, (e) => e.content.body === "left the call");
    const eventId = mine.event_id!;
    expect(mine.unsigned?.["org.matrix.msc4140.delay_id"]).toBe(delay_id);
    expect(mine.unsigned?.transaction_id).toBeUndefined();
    const theirs = await arrives(server.baseUrl, bob, roomId, (e) => e.event_id === eventId);
    expect(theirs.unsigned?.["org.matrix.msc4140.delay_id"]).toBeUndefined();
    const fetched = await call<SyncEvent>(alice, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`);
    expect(fetched.body.unsigned?.["org.matrix.msc4140.delay_id"]).toBe(delay_id);
  });

  test("a delayed state event is listed with its state key until sent, then sets the state", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const res = await delayedState(alice, roomId, "org.matrix.msc3401.call.member", `_${alice.user_id}_DEV`, {}, 400);
    expect(res.status).toBe(200);
    const listed = (await listOf(alice)).delayed_events.find((d) => d.delay_id === res.body.delay_id);
    expect(listed).toMatchObject({ room_id: roomId, type: "org.matrix.msc3401.call.member", state_key: `_${alice.user_id}_DEV`, delay_ms: 400, content: {} });
    expect(listed!.event_id).toBeUndefined();
    expect(listed!.finalised_ts).toBeUndefined();
    const event = await arrives(server.baseUrl, alice, roomId, (e) => e.type === "org.matrix.msc3401.call.member");
    expect(event.state_key).toBe(`_${alice.user_id}_DEV`);
  });

  test("the MSC's own endpoint schedules a state event, and a retried transaction gets the same delay id", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const path = `${PREFIX}/rooms/${enc(roomId)}/delayed_event/m.room.topic/own${++txn}`;
    const body = { delay_ms: 60_000, state_key: "", content: { topic: "later" } };
    const first = await call<{ delay_id: string }>(alice, "PUT", path, body);
    const again = await call<{ delay_id: string }>(alice, "PUT", path, body);
    expect(first.status).toBe(200);
    expect(again.body.delay_id).toBe(first.body.delay_id);
    expect((await one(alice, first.body.delay_id)).body).toMatchObject({ type: "m.room.topic", state_key: "", content: { topic: "later" } });
    await cancelAll(alice);
  });

  test("bad requests are refused and schedule nothing", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const before = (await listOf(alice)).delayed_events.length;
    expectError(await call(alice, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/x${++txn}?delay=soon`, { body: "x" }), 400, "M_INVALID_PARAM");
    expectError(await delayedSend(alice, roomId, 0, "now?"), 400, "M_INVALID_PARAM");
    expectError(await delayedSend(bob, roomId, 1000, "not a member"), 403, "M_FORBIDDEN");
    const own = `${PREFIX}/rooms/${enc(roomId)}/delayed_event/m.room.message/bad${++txn}`;
    expectError(await call(alice, "PUT", own, { content: {} }), 400, "M_MISSING_PARAM");
    expectError(await call(alice, "PUT", own, { delay_ms: 1000, content: "text" }), 400, "M_BAD_JSON");
    expect((await listOf(alice)).delayed_events.length).toBe(before);
  });
});

describe("limits", () => {
  test("a delay over the maximum: 400 M_MAX_DELAY_EXCEEDED on /send, 403 on the MSC's endpoint", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const res = await delayedSend(alice, roomId, 600_001, "too late");
    expectError(res, 400, "M_MAX_DELAY_EXCEEDED");
    expect(res.body.max_delay).toBe(600_000);
    const own = await call(alice, "PUT", `${PREFIX}/rooms/${enc(roomId)}/delayed_event/m.room.message/max${++txn}`, { delay_ms: 600_001, content: {} });
    expectError(own, 403, "M_FORBIDDEN");
    expect(await delayedSend(alice, roomId, 600_000, "just in time")).toMatchObject({ status: 200 });
    await cancelAll(alice);
  });

  test("the per-user maximum answers 429 with Retry-After until the next send time; the capability says both", async () => {
    const roomId = await createRoom(server.baseUrl, bob);
    for (let i = 0; i < 3; i++) expect((await delayedSend(bob, roomId, 120_000, `n${i}`)).status).toBe(200);
    const res = await delayedSend(bob, roomId, 1000, "one too many");
    expectError(res, 429, "M_LIMIT_EXCEEDED");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(100);
    expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(120);
    const caps = await call<{ capabilities: Record<string, unknown> }>(bob, "GET", "/_matrix/client/v3/capabilities");
    expect(caps.body.capabilities["org.matrix.msc4140.delayed_events"]).toEqual({ max_delay_ms: 600_000, max_scheduled: 3 });
    await cancelAll(bob);
    expect((await delayedSend(bob, roomId, 1000, "room again")).status).toBe(200);
    await cancelAll(bob);
  });
});

describe("management", () => {
  test("cancel: never sent, listed as finalised, repeatable; send and restart then conflict", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const { delay_id } = (await delayedSend(alice, roomId, 60_000, "never")).body;
    expect(await call(alice, "POST", `${PREFIX}/delayed_events/${delay_id}/cancel`, {})).toMatchObject({ status: 200, body: {} });
    expect((await call(alice, "POST", `${PREFIX}/delayed_events/${delay_id}`, { action: "cancel" })).status).toBe(200);
    expectError(await call(alice, "POST", `${PREFIX}/delayed_events/${delay_id}/send`, {}), 409, "M_UNKNOWN");
    expectError(await call(alice, "POST", `${PREFIX}/delayed_events/${delay_id}/restart`, {}), 409, "M_UNKNOWN");
    const lists = await listOf(alice);
    expect(lists.delayed_events.map((d) => d.delay_id)).not.toContain(delay_id);
    const finalised = lists.finalised.find((d) => d.delay_id === delay_id)!;
    expect(finalised.finalised_ts).toBeGreaterThan(0);
    expect(finalised.event_id).toBeUndefined();
    expect(finalised.error).toBeUndefined();
    const only = await call<Record<string, unknown>>(alice, "GET", `${PREFIX}/delayed_events?status=finalised`);
    expect(Object.keys(only.body)).toEqual(["finalised"]);
  });

  test("send: the event goes out at once and its id is recorded; sending again succeeds, cancelling conflicts", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const { delay_id } = (await delayedSend(alice, roomId, 60_000, "right now")).body;
    expect((await call(alice, "POST", `${PREFIX}/delayed_events/${delay_id}`, { action: "send" })).status).toBe(200);
    const sent = (await one(alice, delay_id)).body;
    expect(sent.event_id).toMatch(/^\$/);
    const event = await call<{ content: { body: string } }>(alice, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(sent.event_id!)}`);
    expect(event.body.content.body).toBe("right now");
    expect((await call(alice, "POST", `${PREFIX}/delayed_events/${delay_id}/send`, {})).status).toBe(200);
    expectError(await call(alice, "POST", `${PREFIX}/delayed_events/${delay_id}/cancel`, {}), 409, "M_UNKNOWN");
  });

  test("restart moves the send time forward from now", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const { delay_id } = (await delayedSend(alice, roomId, 60_000, "heartbeat")).body;
    const before = (await one(alice, delay_id)).body.scheduled_at;
    // The next request is served in a later millisecond than the scheduling one.
    for (let t = Date.now(); Date.now() === t; ) await Bun.sleep(1);
    expect((await call(alice, "POST", `${PREFIX}/delayed_events/${delay_id}/restart`, {})).status).toBe(200);
    const after = (await one(alice, delay_id)).body;
    expect(after.scheduled_at).toBeGreaterThan(before);
    expect(after.finalised_ts).toBeUndefined();
    await cancelAll(alice);
  });

  test("unknown actions and other users' delay ids are refused", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const { delay_id } = (await delayedSend(alice, roomId, 60_000, "mine")).body;
    expectError(await call(alice, "POST", `${PREFIX}/delayed_events/${delay_id}`, {}), 400, "M_MISSING_PARAM");
    expectError(await call(alice, "POST", `${PREFIX}/delayed_events/${delay_id}`, { action: "postpone" }), 400, "M_INVALID_PARAM");
    expectError(await call(alice, "POST", `${PREFIX}/delayed_events/${delay_id}/postpone`, {}), 400, "M_INVALID_PARAM");
    expectError(await call(bob, "POST", `${PREFIX}/delayed_events/${delay_id}/cancel`, {}), 404, "M_NOT_FOUND");
    expectError(await one(bob, delay_id), 404, "M_NOT_FOUND");
    expectError(await call(alice, "POST", `${PREFIX}/delayed_events/nope/send`, {}), 404, "M_NOT_FOUND");
    expect((await one(alice, delay_id)).body.finalised_ts).toBeUndefined();
    await cancelAll(alice);
  });
});

describe("conflicting state", () => {
  test("another user setting the same state cancels the delayed state event; the owner's own update does not", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat", power_level_content_override: { state_default: 0 } });
    await joinRoom(server.baseUrl, bob, roomId);
    const mine = (await delayedState(alice, roomId, "org.example.shared", "k", { v: "delayed" }, 60_000)).body.delay_id;
    const other = (await delayedState(alice, roomId, "org.example.shared", "other", { v: "delayed" }, 60_000)).body.delay_id;
    await setState(server.baseUrl, alice, roomId, "org.example.shared", { v: "alice now" }, "k");
    expect((await one(alice, mine)).body.finalised_ts).toBeUndefined();
    await setState(server.baseUrl, bob, roomId, "org.example.shared", { v: "bob" }, "k");
    const cancelled = (await one(alice, mine)).body;
    expect(cancelled.error?.errcode).toBe("M_CANCELLED_BY_STATE_UPDATE");
    expect(cancelled.finalised_ts).toBeGreaterThan(0);
    expect((await one(alice, other)).body.finalised_ts).toBeUndefined();
    await cancelAll(alice);
  });
});

describe("durability", () => {
  test("an event scheduled before a restart is sent by the restarted server at its time", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "conduit-delayed-"));
    const opts: StartOptions = { dataDir, toml: LIMITS };
    let running = await startServer(opts);
    try {
      const dave = await registerUser(running.baseUrl, "dave");
      const roomId = await createRoom(running.baseUrl, dave);
      const { delay_id } = (await delayedSend(dave, roomId, 3000, "after the restart", running.baseUrl)).body;
      await running.stop();
      running = await startServer(opts);
      const event = await arrives(running.baseUrl, dave, roomId, (e) => e.content.body === "after the restart");
      const done = (await call<Delayed>(dave, "GET", `${PREFIX}/delayed_events/${enc(delay_id)}`, undefined, running.baseUrl)).body;
      expect(done.event_id).toBe(event.event_id!);
      expect(done.finalised_ts).toBeGreaterThanOrEqual(done.scheduled_at + 3000);
    } finally {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  test("events due while the server was down are sent at start, in order of their send time", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "conduit-delayed-"));
    const opts: StartOptions = { dataDir, toml: LIMITS };
    let running = await startServer(opts);
    try {
      const carol = await registerUser(running.baseUrl, "carol");
      const roomId = await createRoom(running.baseUrl, carol);
      const second = (await delayedSend(carol, roomId, 50_000, "second", running.baseUrl)).body.delay_id;
      const first = (await delayedSend(carol, roomId, 40_000, "first", running.baseUrl)).body.delay_id;
      const kept = (await delayedSend(carol, roomId, 500_000, "not yet", running.baseUrl)).body.delay_id;
      await running.stop();
      // The server stayed down past both send times: move them into the past.
      const db = new Database(join(dataDir, "conduit.db"));
      db.query("UPDATE delayed_events SET send_ts = ? WHERE delay_id = ?").run(Date.now() - 2000, second);
      db.query("UPDATE delayed_events SET send_ts = ? WHERE delay_id = ?").run(Date.now() - 3000, first);
      db.close();
      running = await startServer(opts);
      await arrives(running.baseUrl, carol, roomId, (e) => e.content.body === "second");
      const timeline = await api<{ chunk: SyncEvent[] }>(running.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=5`, { token: carol.access_token });
      const bodies = timeline.body.chunk.map((e) => e.content.body).filter((b) => b !== undefined);
      expect(bodies.slice(0, 2)).toEqual(["second", "first"]);
      const lists = await listOf(carol, running.baseUrl);
      expect(lists.delayed_events.map((d) => d.delay_id)).toEqual([kept]);
    } finally {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
