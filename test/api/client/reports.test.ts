// Reporting content over HTTP (spec "Reporting content"): event, room and user reports stored
// with reporter, target, reason, score and time; the 404s that hide what the reporter cannot see;
// bad bodies refused with nothing stored; and the per-user report budget (429).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectError } from "../../helpers/client";
import { enc, openServerDb } from "../../helpers/rooms";
import { startServer, type TestServer } from "../../helpers/server";
import { addUser, type TestUser } from "../../helpers/users";
import { createReportsRepo, type ReportRow } from "../../../src/storage/reports";

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let eve: TestUser;
let roomId: string;
let eventId: string;

beforeAll(async () => {
  server = await startServer({ rateLimits: { report: { per_second: 0.001, burst: 12 } } });
  [alice, bob, eve] = await Promise.all(["alice", "bob", "eve"].map((n) => addUser(server, n)));
  roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  await bob.call("POST", `/join/${enc(roomId)}`, {});
  eventId = (await alice.call<{ event_id: string }>("PUT", `/rooms/${enc(roomId)}/send/m.room.message/r1`, { msgtype: "m.text", body: "rude" })).body.event_id;
});
afterAll(() => server?.stop());

/** Every stored report, oldest first, read through the repository the admin API uses. */
function storedReports(): ReportRow[] {
  const db = openServerDb(server.dataDir);
  try {
    return createReportsRepo(db).list({ from: 0, limit: 1000, dir: "f" }).reports;
  } finally {
    db.close();
  }
}
const reportsBy = (who: TestUser) => storedReports().filter((r) => r.reporter === who.id);

describe("event reports", () => {
  test("a joined member's report is stored with the event's sender, reason and score", async () => {
    const before = Date.now();
    const res = await bob.call("POST", `/rooms/${enc(roomId)}/report/${enc(eventId)}`, { reason: "offensive", score: -80 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    const stored = storedReports().find((r) => r.kind === "event" && r.reporter === bob.id && r.reason === "offensive")!;
    expect(stored).toMatchObject({ room_id: roomId, event_id: eventId, target_user_id: alice.id, score: -80 });
    expect(stored.received_ts).toBeGreaterThanOrEqual(before);
  });

  test("reason and score are optional", async () => {
    expect((await bob.call("POST", `/rooms/${enc(roomId)}/report/${enc(eventId)}`, {})).status).toBe(200);
    expect(reportsBy(bob).some((r) => r.kind === "event" && r.reason === null && r.score === null)).toBe(true);
  });

  test("not joined, an unknown event, an event of another room and a redacted event all answer 404", async () => {
    const before = storedReports().length;
    expectError(await eve.call("POST", `/rooms/${enc(roomId)}/report/${enc(eventId)}`, { reason: "x" }), 404, "M_NOT_FOUND");
    expectError(await bob.call("POST", `/rooms/${enc(roomId)}/report/${enc("$nope")}`, { reason: "x" }), 404, "M_NOT_FOUND");
    const other = (await bob.call<{ room_id: string }>("POST", "/createRoom", {})).body.room_id;
    expectError(await bob.call("POST", `/rooms/${enc(other)}/report/${enc(eventId)}`, { reason: "x" }), 404, "M_NOT_FOUND");
    const gone = (await alice.call<{ event_id: string }>("PUT", `/rooms/${enc(roomId)}/send/m.room.message/r2`, { msgtype: "m.text", body: "oops" })).body.event_id;
    expect((await alice.call("PUT", `/rooms/${enc(roomId)}/redact/${enc(gone)}/x1`, {})).status).toBe(200);
    expectError(await bob.call("POST", `/rooms/${enc(roomId)}/report/${enc(gone)}`, { reason: "x" }), 404, "M_NOT_FOUND");
    expect(storedReports().length).toBe(before);
  });

  test("a score outside -100..0 or a reason that is not a string is refused and nothing is stored", async () => {
    const before = storedReports().length;
    expectError(await bob.call("POST", `/rooms/${enc(roomId)}/report/${enc(eventId)}`, { score: 5 }), 400, "M_INVALID_PARAM");
    expectError(await bob.call("POST", `/rooms/${enc(roomId)}/report/${enc(eventId)}`, { score: -1.5 }), 400, "M_INVALID_PARAM");
    expectError(await bob.call("POST", `/rooms/${enc(roomId)}/report/${enc(eventId)}`, { reason: 3 }), 400, "M_BAD_JSON");
    expectError(await bob.call("POST", `/rooms/${enc(roomId)}/report/${enc(eventId)}`, [1]), 400, "M_BAD_JSON");
    expect(storedReports().length).toBe(before);
  });

  test("reporting needs an access token", async () => {
    const res = await fetch(`${server.baseUrl}/_matrix/client/v3/rooms/${enc(roomId)}/report/${enc(eventId)}`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errcode: string }).errcode).toBe("M_MISSING_TOKEN");
  });
});

describe("room reports (v1.13)", () => {
  test("anyone may report a known room, joined or not", async () => {
    expect((await eve.call("POST", `/rooms/${enc(roomId)}/report`, { reason: "spam room" })).status).toBe(200);
    expect(reportsBy(eve).find((r) => r.kind === "room")).toMatchObject({ room_id: roomId, event_id: null, target_user_id: null, reason: "spam room" });
  });

  test("an unknown room answers 404 and a bad reason 400, storing nothing", async () => {
    const before = storedReports().length;
    expectError(await eve.call("POST", `/rooms/${enc("!unknown:localhost")}/report`, { reason: "x" }), 404, "M_NOT_FOUND");
    expectError(await eve.call("POST", `/rooms/${enc(roomId)}/report`, { reason: false }), 400, "M_BAD_JSON");
    expect(storedReports().length).toBe(before);
  });
});

describe("user reports (v1.14)", () => {
  test("a local user and another server's user can be reported", async () => {
    expect((await eve.call("POST", `/users/${enc(alice.id)}/report`, { reason: "harassment" })).status).toBe(200);
    expect((await eve.call("POST", `/users/${enc("@someone:elsewhere.example")}/report`, { reason: "spam" })).status).toBe(200);
    const users = reportsBy(eve).filter((r) => r.kind === "user").map((r) => [r.target_user_id, r.reason]);
    expect(users).toContainEqual([alice.id, "harassment"]);
    expect(users).toContainEqual(["@someone:elsewhere.example", "spam"]);
  });

  test("an unknown local user answers 404 and a malformed id 400, storing nothing", async () => {
    const before = storedReports().length;
    expectError(await eve.call("POST", `/users/${enc("@nobody:localhost")}/report`, { reason: "x" }), 404, "M_NOT_FOUND");
    expectError(await eve.call("POST", `/users/${enc("not-a-user")}/report`, { reason: "x" }), 400, "M_INVALID_PARAM");
    expect(storedReports().length).toBe(before);
  });
});

test("reports are rate-limited per user: over the budget 429 M_LIMIT_EXCEEDED, and nothing stored", async () => {
  const carol = await addUser(server, "carol");
  for (let i = 0; i < 12; i++) expect((await carol.call("POST", `/users/${enc(alice.id)}/report`, { reason: `r${i}` })).status).toBe(200);
  const res = await carol.call<{ errcode: string; retry_after_ms: number }>("POST", `/users/${enc(alice.id)}/report`, { reason: "one too many" });
  expectError(res, 429, "M_LIMIT_EXCEEDED");
  expect(res.body.retry_after_ms).toBeGreaterThan(0);
  expect(reportsBy(carol).length).toBe(12);
  // Another user's budget is their own.
  expect((await eve.call("POST", `/rooms/${enc(roomId)}/report`, { reason: "still fine" })).status).toBe(200);
});
