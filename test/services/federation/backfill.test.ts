// Backfill between two real instances over TLS: a user of B who joins a room with history on A
// pages back through /messages on B and gets A's earlier messages in order (fetched over
// /backfill, a full batch at a time), while B's /sync does not announce that old history as new.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { api, registerUser, trustTestCa } from "../../helpers/client";
import { createRoom, joinRoom, say, texts, type ClientEvent } from "../../helpers/federated-rooms";
import { startFederatedServer, type FederatedServer, type FederationSetup } from "../../helpers/federation";
import { createTestCa, type TestCa } from "../../helpers/tls";

let ca: TestCa;
let setup: FederationSetup;
let a: FederatedServer;
let b: FederatedServer;

beforeAll(async () => {
  ca = createTestCa();
  setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  [a, b] = await Promise.all([startFederatedServer(setup), startFederatedServer(setup)]);
});
afterAll(async () => {
  if (process.env.FED_DEBUG) for (const s of [a, b]) console.log(s.output.filter((l) => l.includes('"error"') || l.includes('"warn"')).join("\n"));
  await Promise.all([a?.stop(), b?.stop()]);
  ca?.remove();
});

test("paging back on B fetches the history A holds from before B joined", async () => {
  const [alice, bob] = await Promise.all([registerUser(a.baseUrl, "alice"), registerUser(b.baseUrl, "bob")]);
  const roomId = await createRoom(a, alice, { preset: "public_chat", name: "history" });
  const history = Array.from({ length: 40 }, (_, i) => `old ${i}`);
  for (const body of history) await say(a, alice, roomId, body);

  await joinRoom(b, bob, roomId, a.serverName);
  const sync = await api<{ next_batch: string }>(b.baseUrl, "GET", "/_matrix/client/v3/sync?timeout=0", { token: bob.access_token });

  // Page back 15 at a time until the room's start.
  const seen: ClientEvent[] = [];
  let from: string | undefined;
  for (let page = 0; page < 10; page++) {
    const res = await api<{ chunk: ClientEvent[]; end?: string }>(
      b.baseUrl,
      "GET",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=15${from ? `&from=${from}` : ""}`,
      { token: bob.access_token },
    );
    expect(res.status).toBe(200);
    seen.push(...res.body.chunk);
    if (res.body.end === undefined) break;
    from = res.body.end;
  }
  const oldestFirst = seen.reverse();
  expect(texts(oldestFirst)).toEqual(history);
  // One /backfill brought all of it: B asks for a full batch, not for the page size.
  expect(a.output.filter((l) => l.includes('"path":"/_matrix/federation/v1/backfill/')).length).toBe(1);
  expect(oldestFirst[0]?.type).toBe("m.room.create");
  expect(new Set(oldestFirst.map((e) => e.event_id)).size).toBe(oldestFirst.length);

  // History is not news: an incremental /sync after the paging brings none of it.
  const next = await api<{ rooms?: { join?: Record<string, { timeline: { events: ClientEvent[] } }> } }>(
    b.baseUrl,
    "GET",
    `/_matrix/client/v3/sync?timeout=0&since=${sync.body.next_batch}`,
    { token: bob.access_token },
  );
  expect(texts(next.body.rooms?.join?.[roomId]?.timeline.events ?? [])).toEqual([]);
});
