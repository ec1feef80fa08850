// [global.tls]: the server speaks HTTPS itself with the operator's certificate chain and key.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createTestCa, type TestCa } from "./helpers/tls";
import { startServer, type TestServer } from "./helpers/server";

let ca: TestCa;
let server: TestServer;
beforeAll(async () => {
  ca = createTestCa();
  const leaf = ca.issue("localhost");
  server = await startServer({ toml: `[global.tls]\ncerts = "${leaf.certPath}"\nkey = "${leaf.keyPath}"` });
});
afterAll(async () => {
  await server?.stop();
  ca?.remove();
});

test("the start-up line announces https", () => {
  expect(server.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
});

test("GET /versions over HTTPS with the CA trusted, by IP and by name", async () => {
  const res = await fetch(`${server.baseUrl}/_matrix/client/versions`, { tls: { ca: ca.caCert } });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { versions: string[] }).versions).toContain("v1.19");
  const byName = await fetch(`${server.baseUrl.replace("127.0.0.1", "localhost")}/_matrix/client/versions`, {
    tls: { ca: ca.caCert },
  });
  expect(byName.status).toBe(200);
});

test("a client that does not trust the CA is refused the connection", async () => {
  await expect(fetch(`${server.baseUrl}/_matrix/client/versions`)).rejects.toThrow();
});

test("plain HTTP on the TLS port gets no Matrix answer", async () => {
  const plain = server.baseUrl.replace("https://", "http://");
  const outcome = await fetch(`${plain}/_matrix/client/versions`).then(
    (res) => res.status,
    () => "refused",
  );
  expect(outcome).not.toBe(200);
});
