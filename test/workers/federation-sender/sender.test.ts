// Outbound transactions through the sender worker, between two instances over TLS on loopback:
// order and batching (≤100 EDUs per transaction), a receiver that is down while items queue up
// (nothing lost once it is back), a sender restarted with a full queue (nothing lost), replayed
// transactions answered but not re-applied, and the limits and signature checks of PUT /send.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { JsonObject } from "../../../src/core";
import { RemoteError } from "../../../src/net/federation-client";
import { signRequest } from "../../../src/net/x-matrix";
import type { SenderEvent } from "../../../src/workers/federation-sender/protocol";
import { backoffDelay } from "../../../src/workers/federation-sender/sender-loop";
import { startInProcessServer, type FederationSetup, type InProcessServer } from "../../helpers/federation";
import { createTestCa, type TestCa } from "../../helpers/tls";

let ca: TestCa;
let setup: FederationSetup;
let a: InProcessServer;
let b: InProcessServer;
/** EDUs of the test type that B applied, in order, with their origin. */
const received: { origin: string; n: number }[] = [];

const TEST_EDU = "org.conduit.test.counter";

function watchB(server: InProcessServer): void {
  server.services.federation.transactions.onEdu(TEST_EDU, (origin, content) => {
    received.push({ origin, n: content.n as number });
  });
}

function queueCounters(from: InProcessServer, to: string, first: number, count: number): void {
  for (let n = first; n < first + count; n++) {
    from.sender.queueEdu([to], { edu_type: TEST_EDU, content: { n } });
  }
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await Bun.sleep(20);
  }
}

function collectEvents(server: InProcessServer): SenderEvent[] {
  const events: SenderEvent[] = [];
  server.sender.onEvent((e) => events.push(e));
  return events;
}

beforeAll(async () => {
  ca = createTestCa();
  setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  a = await startInProcessServer(setup);
  b = await startInProcessServer(setup);
  watchB(b);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  ca?.remove();
});

test("backoff doubles from 2 s and is capped at 15 minutes", () => {
  expect([1, 2, 3, 4].map(backoffDelay)).toEqual([2_000, 4_000, 8_000, 16_000]);
  expect(backoffDelay(20)).toBe(15 * 60_000);
  expect(backoffDelay(10_000)).toBe(15 * 60_000);
});

describe("delivery", () => {
  test("EDUs arrive in order, at most 100 per transaction", async () => {
    received.length = 0;
    const events = collectEvents(a);
    queueCounters(a, b.serverName, 0, 250);
    const sentEdus = () => events.reduce((sum, e) => sum + (e.type === "sent" ? e.edus : 0), 0);
    // B has applied everything before A hears back about the last transaction.
    await until(() => received.length === 250 && sentEdus() === 250);
    expect(received.map((r) => r.n)).toEqual([...Array(250).keys()]);
    expect(new Set(received.map((r) => r.origin))).toEqual(new Set([a.serverName]));
    const sent = events.filter((e) => e.type === "sent");
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.every((e) => e.type === "sent" && e.edus <= 100)).toBe(true);
  });

  test("a receiver that was down gets everything once it is back and contacts us", async () => {
    // (The backoff and the immediate retry on contact are timed on a fake clock in sender-loop.test.ts.)
    received.length = 0;
    const events = collectEvents(a);
    await b.stopListening();
    queueCounters(a, b.serverName, 0, 120);
    await until(() => events.some((e) => e.type === "failed"));
    expect(events.find((e) => e.type === "failed")).toMatchObject({ destination: b.serverName, failures: 1, retryInMs: 2_000 });
    queueCounters(a, b.serverName, 120, 80);
    expect(received).toEqual([]);

    b.startListening();
    // Any authenticated request from B tells A that B is back.
    await b.services.federation.client.request(a.serverName, { method: "GET", path: "/_matrix/federation/v1/query/profile?user_id=%40x%3Ay" }).catch(() => undefined);
    await until(() => received.length === 200);
    expect(received.map((r) => r.n)).toEqual([...Array(200).keys()]);
  });

  test("a restarted sender resends what was queued before it stopped", async () => {
    received.length = 0;
    await b.stopListening();
    const c = await startInProcessServer(setup);
    const events = collectEvents(c);
    queueCounters(c, b.serverName, 0, 30);
    await until(() => events.some((e) => e.type === "failed"));
    const port = Number(c.serverName.split(":")[1]);
    await c.close({ keepData: true });
    b.startListening();

    const again = await startInProcessServer(setup, { dataDir: c.dataDir, port });
    try {
      await until(() => received.length === 30, 15_000);
      expect(received.map((r) => r.n)).toEqual([...Array(30).keys()]);
      expect(received.every((r) => r.origin === c.serverName)).toBe(true);
    } finally {
      await again.close();
    }
  });
});

describe("receiving /send", () => {
  const put = (txnId: string, body: JsonObject) =>
    a.services.federation.client.request(b.serverName, { method: "PUT", path: `/_matrix/federation/v1/send/${txnId}`, body });

  test("a replayed transaction gets the same answer and is not applied twice", async () => {
    received.length = 0;
    const body = { origin: a.serverName, origin_server_ts: Date.now(), pdus: [], edus: [{ edu_type: TEST_EDU, content: { n: 7 } }] };
    const first = await put("replay-1", body);
    const second = await put("replay-1", body);
    expect(second).toEqual(first);
    expect(received).toEqual([{ origin: a.serverName, n: 7 }]);
    await put("replay-2", body);
    expect(received).toHaveLength(2);
  });

  test("unknown and malformed EDUs are ignored; the transaction still succeeds", async () => {
    received.length = 0;
    const res = await put("mixed-1", {
      origin: a.serverName,
      origin_server_ts: Date.now(),
      pdus: [],
      edus: [{ edu_type: "org.example.unknown", content: {} }, { edu_type: TEST_EDU }, "junk", { edu_type: TEST_EDU, content: { n: 1 } }],
    });
    expect(res).toEqual({ pdus: {} });
    expect(received).toEqual([{ origin: a.serverName, n: 1 }]);
  });

  test("more than 50 PDUs or 100 EDUs, or no pdus array, is 400 M_BAD_JSON", async () => {
    const bodies: JsonObject[] = [
      { pdus: Array.from({ length: 51 }, () => ({})) },
      { pdus: [], edus: Array.from({ length: 101 }, () => ({ edu_type: TEST_EDU, content: {} })) },
      { edus: [] },
    ];
    for (const body of bodies) {
      const err = await put(`limits-${Math.random()}`, body).catch((e: unknown) => e);
      expect((err as RemoteError).status).toBe(400);
      expect((err as RemoteError).errcode).toBe("M_BAD_JSON");
    }
  });

  test("a signature over other content is 401", async () => {
    const path = "/_matrix/federation/v1/send/forged";
    const authorization = signRequest(
      { method: "PUT", uri: path, origin: a.serverName, destination: b.serverName, content: { pdus: [], edus: [] } },
      a.signingKey,
    );
    const res = await b.fetch(path, {
      method: "PUT",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify({ pdus: [], edus: [{ edu_type: TEST_EDU, content: { n: 99 } }] }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ errcode: "M_UNAUTHORIZED" });
  });
});
