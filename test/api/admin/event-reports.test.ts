// Event reports in the admin API over HTTP: what users reported is listed, read with its event,
// filtered, paged and deleted by admins.
import { beforeAll, expect, test } from "bun:test";
import { api, expectError, registerUser, type Session } from "../../helpers/client";
import { serverWithAdmin } from "../../helpers/admin";
import { createRoom, enc } from "../../helpers/rooms";

const srv = serverWithAdmin();
const REPORTS = "/_synapse/admin/v1/event_reports";
const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, token = srv.admin.access_token) =>
  api<T>(srv.server.baseUrl, method, path, { token, body });

interface Report {
  id: number;
  room_id: string;
  name: string | null;
  event_id: string;
  user_id: string;
  sender: string;
  reason: string | null;
  score: number | null;
}

let poster: Session;
let reporter: Session;
let roomId: string;
let eventIds: string[];
beforeAll(async () => {
  poster = await registerUser(srv.server.baseUrl, "poster");
  reporter = await registerUser(srv.server.baseUrl, "reporter");
  roomId = await createRoom(srv.server.baseUrl, poster, { name: "Reported room", preset: "public_chat" });
  await api(srv.server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, { token: reporter.access_token, body: {} });
  eventIds = [];
  for (const [i, body] of ["spam one", "spam two", "spam three"].entries()) {
    const sent = await api<{ event_id: string }>(srv.server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/r${i}`, {
      token: poster.access_token,
      body: { msgtype: "m.text", body },
    });
    eventIds.push(sent.body.event_id);
    await api(srv.server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/report/${enc(sent.body.event_id)}`, { token: reporter.access_token, body: { reason: `bad ${i}`, score: -50 } });
  }
});

test("the list is newest first, with the room's name, the reporter and the sender; dir=f reverses it", async () => {
  const res = await call<{ event_reports: Report[]; total: number }>("GET", `${REPORTS}?room_id=${enc(roomId)}`);
  expect(res.body.total).toBe(3);
  expect(res.body.event_reports.map((r) => r.event_id)).toEqual([...eventIds].reverse());
  expect(res.body.event_reports[0]).toMatchObject({ room_id: roomId, name: "Reported room", user_id: reporter.user_id, sender: poster.user_id, reason: "bad 2", score: -50 });
  const forward = await call<{ event_reports: Report[] }>("GET", `${REPORTS}?room_id=${enc(roomId)}&dir=f`);
  expect(forward.body.event_reports.map((r) => r.event_id)).toEqual(eventIds);
});

test("paging with from, limit and next_token; filters by reporter and sender", async () => {
  const page = await call<{ event_reports: Report[]; next_token?: number }>("GET", `${REPORTS}?room_id=${enc(roomId)}&limit=2`);
  expect(page.body.event_reports).toHaveLength(2);
  expect(page.body.next_token).toBe(2);
  const rest = await call<{ event_reports: Report[]; next_token?: number }>("GET", `${REPORTS}?room_id=${enc(roomId)}&limit=2&from=2`);
  expect(rest.body.event_reports).toHaveLength(1);
  expect(rest.body.next_token).toBeUndefined();
  expect((await call<{ total: number }>("GET", `${REPORTS}?user_id=${enc(reporter.user_id)}`)).body.total).toBe(3);
  expect((await call<{ total: number }>("GET", `${REPORTS}?event_sender_user_id=${enc(reporter.user_id)}`)).body.total).toBe(0);
});

test("one report carries the reported event; delete removes it; unknown ids are 404", async () => {
  const list = await call<{ event_reports: Report[] }>("GET", `${REPORTS}?room_id=${enc(roomId)}&dir=f`);
  const first = list.body.event_reports[0]!;
  const one = await call<Report & { event_json: { event_id: string; content: { body: string } } }>("GET", `${REPORTS}/${first.id}`);
  expect(one.body.event_json).toMatchObject({ event_id: eventIds[0], content: { body: "spam one" } });
  expect((await call("DELETE", `${REPORTS}/${first.id}`)).status).toBe(200);
  expectError(await call("GET", `${REPORTS}/${first.id}`), 404, "M_NOT_FOUND");
  expectError(await call("DELETE", `${REPORTS}/${first.id}`), 404, "M_NOT_FOUND");
  expectError(await call("GET", `${REPORTS}/not-a-number`), 404, "M_NOT_FOUND");
});

test("non-admins are refused", async () => {
  expectError(await call("GET", REPORTS, undefined, reporter.access_token), 403, "M_FORBIDDEN");
});
