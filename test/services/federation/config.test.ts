// Federation settings at start-up: a bad denylist entry or a missing CA file stops the server
// with one sentence naming the key; turning certificate checks off is announced loudly.
import { expect, test } from "bun:test";
import { startServer } from "../../helpers/server";

async function startFailure(env: Record<string, string>): Promise<string> {
  const err = await startServer({ env }).then(
    async (s) => {
      await s.stop();
      return new Error("server started");
    },
    (e: unknown) => e as Error,
  );
  return err.message;
}

test("an invalid ip_range_denylist entry stops the server with a clear sentence", async () => {
  const msg = await startFailure({ CONDUIT_IP_RANGE_DENYLIST: '["10.0.0.0/8", "10.0.0.0/99"]' });
  expect(msg).toContain("server exited with 1");
  expect(msg).toContain('config key "ip_range_denylist" has an invalid entry');
});

test("a federation_tls_ca that cannot be read stops the server", async () => {
  const msg = await startFailure({ CONDUIT_FEDERATION_TLS_CA: "/nonexistent/ca.pem" });
  expect(msg).toContain('config key "federation_tls_ca" names /nonexistent/ca.pem');
});

test("allow_invalid_tls_certificates = true logs a warning at start", async () => {
  const server = await startServer({ env: { CONDUIT_ALLOW_INVALID_TLS_CERTIFICATES: "true" } });
  try {
    const warning = server.output.find((l) => l.includes("allow_invalid_tls_certificates is on"));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ level: "warn" });
  } finally {
    await server.stop();
  }
});

test("certificate checks stay on by default: no warning", async () => {
  const server = await startServer();
  try {
    expect(server.output.join("\n")).not.toContain("allow_invalid_tls_certificates");
  } finally {
    await server.stop();
  }
});
