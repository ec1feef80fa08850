// An appservice registered with an https URL whose certificate no trusted authority signed (a test
// network's): with `allow_invalid_tls_certificates` the server still reaches it, for transactions
// (the sender thread) and for pings and queries (the main thread); without it nothing is sent.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appserviceFilesToml, startTestAppservice, writeRegistration, type TestAppservice } from "../../helpers/appservice";
import { api, expectError } from "../../helpers/client";
import { createRoom, sendMessage } from "../../helpers/rooms";
import { startServer, type TestServer } from "../../helpers/server";
import { createTestCa, type TestCa } from "../../helpers/tls";
import { addUser } from "../../helpers/users";

const dir = mkdtempSync(join(tmpdir(), "conduit-as-tls-"));
let ca: TestCa;
let bridge: TestAppservice;
let lenient: TestServer;
let strict: TestServer;

beforeAll(async () => {
  ca = createTestCa();
  bridge = startTestAppservice(ca.issue("bridge"));
  const registration = (id: string) =>
    writeRegistration(dir, { id, url: bridge.url, users: [`@${id}_.*`], rooms: ["!.*"], asToken: `as-${id}`, hsToken: `hs-${id}` });
  lenient = await startServer({ toml: `${appserviceFilesToml([registration("lenient")])}\nallow_invalid_tls_certificates = true` });
  strict = await startServer({ toml: appserviceFilesToml([registration("strict")]) });
});
afterAll(async () => {
  await Promise.all([lenient?.stop(), strict?.stop()]);
  bridge?.stop();
  ca?.remove();
  rmSync(dir, { recursive: true, force: true });
});

const ping = (server: TestServer, id: string) =>
  api(server.baseUrl, "POST", `/_matrix/client/v1/appservice/${id}/ping`, { token: `as-${id}`, body: { transaction_id: `p-${id}` } });

test("allow_invalid_tls_certificates: pings and transactions reach an https appservice with an untrusted certificate", async () => {
  const res = await ping(lenient, "lenient");
  expect(res.status).toBe(200);
  expect(bridge.pings.map((p) => p.authorization)).toContain("Bearer hs-lenient");
  const alice = await addUser(lenient, "alice");
  const roomId = await createRoom(lenient.baseUrl, alice.session);
  const eventId = await sendMessage(lenient.baseUrl, alice.session, roomId, "over TLS");
  const events = await bridge.until(() => {
    const found = bridge.acceptedEvents().filter((e) => e.event_id === eventId);
    return found.length > 0 && found;
  });
  expect(events[0]!.room_id).toBe(roomId);
  expect(bridge.transactions.every((t) => t.authorization === "Bearer hs-lenient")).toBe(true);
});

test("without it the certificate is checked: the ping fails and no transaction arrives", async () => {
  expectError(await ping(strict, "strict"), 502, "M_CONNECTION_FAILED");
  const alice = await addUser(strict, "alice");
  const roomId = await createRoom(strict.baseUrl, alice.session);
  // The sender logs each failed attempt; wait for the first, then check nothing was received.
  const refused = strict.nextLine((line) => line.includes("appservice unreachable") && line.includes("certificate"));
  await sendMessage(strict.baseUrl, alice.session, roomId, "never delivered");
  await refused;
  expect(bridge.transactions.filter((t) => t.authorization === "Bearer hs-strict")).toEqual([]);
  expect(bridge.pings.filter((p) => p.authorization === "Bearer hs-strict")).toEqual([]);
});
