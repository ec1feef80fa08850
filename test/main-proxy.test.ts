// Behind a reverse proxy: X-Forwarded-For names the client only when the peer is a trusted proxy
// (`trusted_proxies`, loopback by default). Observed through a device's `last_seen_ip`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { api, loginUser, registerUser, type Session } from "./helpers/client";
import { startServer, type TestServer } from "./helpers/server";

interface Device {
  device_id: string;
  last_seen_ip?: string;
}

/** Logs in afresh (a new device), makes one authenticated request with the header, returns the IP seen. */
async function seenAddress(server: TestServer, forwardedFor?: string): Promise<string | undefined> {
  const session: Session = await loginUser(server.baseUrl, "proxied");
  const headers: Record<string, string> = forwardedFor ? { "x-forwarded-for": forwardedFor } : {};
  const res = await api<{ devices: Device[] }>(server.baseUrl, "GET", "/_matrix/client/v3/devices", { token: session.access_token, headers });
  expect(res.status).toBe(200);
  return res.body.devices.find((d) => d.device_id === session.device_id)?.last_seen_ip;
}

let byDefault: TestServer;
let noProxies: TestServer;
beforeAll(async () => {
  [byDefault, noProxies] = await Promise.all([startServer(), startServer({ toml: "trusted_proxies = []" })]);
  await Promise.all([registerUser(byDefault.baseUrl, "proxied"), registerUser(noProxies.baseUrl, "proxied")]);
});
afterAll(() => Promise.all([byDefault?.stop(), noProxies?.stop()]));

test("a request from a trusted (loopback) proxy is attributed to the forwarded client", async () => {
  expect(await seenAddress(byDefault, "203.0.113.7")).toBe("203.0.113.7");
});

test("without the header the peer itself is the client", async () => {
  expect(await seenAddress(byDefault)).toBe("127.0.0.1");
});

test("hops a client wrote into the header are ignored: the proxy's own entry counts", async () => {
  expect(await seenAddress(byDefault, "198.51.100.1, 203.0.113.7")).toBe("203.0.113.7");
  // Trusted proxies in the chain are skipped; garbage stops the walk at the peer.
  expect(await seenAddress(byDefault, "203.0.113.9, 127.0.0.1")).toBe("203.0.113.9");
  expect(await seenAddress(byDefault, "not-an-address")).toBe("127.0.0.1");
});

test("when no proxy is trusted the header is ignored", async () => {
  expect(await seenAddress(noProxies, "203.0.113.7")).toBe("127.0.0.1");
});
