// A 30 s /sync long-poll (what clients send) is answered 200 after its 30 s on plain HTTP and on
// TLS: Bun's 10 s idle timeout must not cut it (issue 9: clients reconnected every ~10 s).
// The wait is the point of the test: it ends on the server's answer, not on a sleep.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { trustTestCa } from "./helpers/client";
import { startServer, type TestServer } from "./helpers/server";
import { syncClient } from "./helpers/sync";
import { createTestCa, type TestCa } from "./helpers/tls";
import { addUser } from "./helpers/users";

let ca: TestCa;
let plain: TestServer;
let tls: TestServer;
beforeAll(async () => {
  ca = createTestCa();
  trustTestCa(ca.caCert);
  const leaf = ca.issue("localhost");
  [plain, tls] = await Promise.all([
    startServer(),
    startServer({ toml: `[global.tls]\ncerts = "${leaf.certPath}"\nkey = "${leaf.keyPath}"` }),
  ]);
});
afterAll(async () => {
  await Promise.all([plain?.stop(), tls?.stop()]);
  ca?.remove();
});

async function idlePoll(server: TestServer): Promise<number> {
  const sync = syncClient((await addUser(server, "poller")).call);
  await sync.next();
  const started = performance.now();
  const body = await sync.next({ timeout: "30000" });
  expect(body.rooms.join).toEqual({});
  return performance.now() - started;
}

test("a 30 s long-poll is answered 200 after 30 s, over plain HTTP and over TLS", async () => {
  expect(tls.baseUrl).toStartWith("https://");
  const [overHttp, overTls] = await Promise.all([idlePoll(plain), idlePoll(tls)]);
  expect(overHttp).toBeGreaterThanOrEqual(29_900);
  expect(overTls).toBeGreaterThanOrEqual(29_900);
}, 60_000);
