// Server discovery and the hardened outbound client, against real HTTPS servers on loopback (a
// test CA made at start), a real DNS server for SRV records, and the system resolver for
// `localhost`: IP literals, explicit ports, well-known delegation (cache rules, redirects), SRV
// order, default port, Host header and SNI, the address denylist, TLS verification, size caps.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Resolver } from "node:dns/promises";
import { cacheLifetime, createServerDiscovery } from "../../src/net/discovery";
import { createAddressGuard, InvalidCidrError } from "../../src/net/ip-ranges";
import { createOutboundHttp, OutboundError, type OutboundHttp } from "../../src/net/outbound-http";
import { loadConfig } from "../../src/config";
import { systemClock } from "../../src/runtime/clock";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server";
import { createTestCa, type TestCa } from "../helpers/tls";

let ca: TestCa;
let dns: TestDnsServer;
let resolver: Resolver;
/** Answers every request with the Host header it saw and the certificate name it was reached by. */
let echo: ReturnType<typeof Bun.serve>;
/** Serves /.well-known/matrix/server with whatever the current test sets. */
let wellKnown: ReturnType<typeof Bun.serve>;
let wellKnownReply: (req: Request) => Response = () => new Response("nope", { status: 404 });
let wellKnownHits = 0;
let http: OutboundHttp;

beforeAll(async () => {
  ca = createTestCa();
  const loopback = ca.issue("localhost", ["localhost", "127.0.0.1"]);
  const delegated = ca.issue("deleg.test", ["deleg.test"]);
  const own = ca.issue("example.test", ["example.test"]);
  const tlsFor = (serverName: string | undefined, cert: { certPath: string; keyPath: string }) => ({
    serverName, cert: Bun.file(cert.certPath), key: Bun.file(cert.keyPath),
  });
  echo = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    // The certificate is chosen by SNI, so a wrong or missing SNI fails verification.
    tls: [tlsFor("localhost", loopback), tlsFor("deleg.test", delegated), tlsFor("example.test", own)],
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/big") return new Response(new Uint8Array(2 * 1024 * 1024));
      if (path === "/stream") {
        // Chunked, with no Content-Length: the cap must hold while reading.
        let sent = 0;
        return new Response(new ReadableStream({
          pull(controller) {
            if (sent++ < 64) controller.enqueue(new Uint8Array(64 * 1024));
            else controller.close();
          },
        }));
      }
      return Response.json({ host: req.headers.get("host"), path });
    },
  });
  wellKnown = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: tlsFor(undefined, loopback),
    fetch(req) {
      wellKnownHits++;
      return wellKnownReply(req);
    },
  });
  dns = await startDnsServer({
    srv: {
      "_matrix-fed._tcp.deleg.test": [{ priority: 10, weight: 5, port: echo.port!, target: "localhost" }],
      "_matrix._tcp.example.test": [
        { priority: 20, weight: 0, port: 1, target: "localhost" },
        { priority: 10, weight: 0, port: echo.port!, target: "localhost" },
      ],
      "_matrix-fed._tcp.gone.test": [{ priority: 0, weight: 0, port: 0, target: "." }],
    },
  });
  resolver = new Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers([dns.address]);
  http = createOutboundHttp({ guard: createAddressGuard([]), ca: [ca.caCert], allowInvalidCertificates: false });
});
afterAll(() => {
  echo?.stop(true);
  wellKnown?.stop(true);
  dns?.close();
  ca?.remove();
});

function discovery() {
  wellKnownHits = 0;
  return createServerDiscovery({ http, clock: systemClock, resolver, wellKnownPort: wellKnown.port });
}

async function getVia(serverName: string, d = discovery()): Promise<{ host: string }> {
  const { targets } = await d.resolve(serverName);
  const res = await http.request(targets[0]!, { method: "GET", path: "/probe", maxBytes: 4096, timeoutMs: 5_000 });
  return JSON.parse(new TextDecoder().decode(res.body)) as { host: string };
}

describe("address guard", () => {
  test("the default denylist refuses loopback, private, link-local and mapped addresses", async () => {
    const config = await loadConfig({ env: {} });
    const guard = createAddressGuard(config.ip_range_denylist);
    for (const ip of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
      "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1", "224.0.0.1"]) {
      expect({ ip, allowed: guard.allows(ip) }).toEqual({ ip, allowed: false });
    }
    for (const ip of ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"]) {
      expect({ ip, allowed: guard.allows(ip) }).toEqual({ ip, allowed: true });
    }
  });

  test("an empty list allows everything; a malformed range is refused", () => {
    expect(createAddressGuard([]).allows("127.0.0.1")).toBe(true);
    for (const bad of ["10.0.0.0/33", "10.0.0.0", "nonsense/8", "::1/129", "10.0.0.0/8/1", "10.0.0.0/-1"]) {
      expect(() => createAddressGuard([bad])).toThrow(InvalidCidrError);
    }
  });
});

describe("well-known cache lifetime", () => {
  const at = (h: Record<string, string>) => cacheLifetime(new Headers(h), Date.parse("2026-01-01T00:00:00Z"));
  test("follows max-age and Expires, defaults to 24 h, caps at 48 h", () => {
    expect(at({ "cache-control": "public, max-age=7200" })).toBe(7_200_000);
    expect(at({ expires: "Thu, 01 Jan 2026 03:00:00 GMT" })).toBe(3 * 3_600_000);
    expect(at({})).toBe(24 * 3_600_000);
    expect(at({ "cache-control": "max-age=9999999" })).toBe(48 * 3_600_000);
    expect(at({ "cache-control": "no-store" })).toBe(5 * 60_000);
  });
});

describe("resolution", () => {
  test("an IP literal with a port is used as is; Host carries the port", async () => {
    const d = discovery();
    const { targets } = await d.resolve(`127.0.0.1:${echo.port}`);
    expect(targets).toEqual([{ host: "127.0.0.1", port: echo.port!, hostHeader: `127.0.0.1:${echo.port}` }]);
    expect(await getVia(`127.0.0.1:${echo.port}`, d)).toMatchObject({ host: `127.0.0.1:${echo.port}` });
    expect(wellKnownHits).toBe(0);
  });

  test("a name outside the grammar or with a port outside 1-65535 is refused", async () => {
    for (const bad of ["exa mple.org", "a.org:0", "a.org:70000", "[zz::1]", "999.1.1.1"]) {
      const err = await discovery().resolve(bad).catch((e: unknown) => e);
      expect((err as OutboundError).kind).toBe("dns");
    }
  });

  test("an IP literal without a port gets 8448; IPv6 loses its brackets for connecting", async () => {
    const d = discovery();
    expect((await d.resolve("127.0.0.1")).targets).toEqual([{ host: "127.0.0.1", port: 8448, hostHeader: "127.0.0.1" }]);
    expect((await d.resolve("[::1]")).targets).toEqual([{ host: "::1", port: 8448, hostHeader: "[::1]" }]);
  });

  test("a hostname with a port skips delegation and keeps the name for TLS and Host", async () => {
    const d = discovery();
    expect(await getVia(`localhost:${echo.port}`, d)).toMatchObject({ host: `localhost:${echo.port}` });
    expect(wellKnownHits).toBe(0);
  });

  test("well-known delegation to an IP literal with port, cached as its headers say", async () => {
    wellKnownReply = () => Response.json({ "m.server": `127.0.0.1:${echo.port}` }, { headers: { "cache-control": "max-age=3600" } });
    const d = discovery();
    expect((await d.resolve("localhost")).targets).toEqual([
      { host: "127.0.0.1", port: echo.port!, hostHeader: `127.0.0.1:${echo.port}` },
    ]);
    await d.resolve("localhost");
    expect(wellKnownHits).toBe(1);
  });

  test("delegation to a name without port goes through _matrix-fed._tcp SRV; Host and TLS use the delegated name", async () => {
    // Served as text/plain on purpose: the body is JSON whatever the content type says.
    wellKnownReply = () => new Response(JSON.stringify({ "m.server": "deleg.test" }), { headers: { "content-type": "text/plain" } });
    const d = discovery();
    const { targets } = await d.resolve("localhost");
    expect(targets).toEqual([{ host: "localhost", port: echo.port!, hostHeader: "deleg.test", tlsName: "deleg.test" }]);
    expect(await getVia("localhost", d)).toMatchObject({ host: "deleg.test" });
    expect(dns.queries).toContain("SRV _matrix-fed._tcp.deleg.test");
  });

  test("well-known redirects are followed", async () => {
    wellKnownReply = (req) =>
      new URL(req.url).pathname === "/moved"
        ? Response.json({ "m.server": `localhost:${echo.port}` })
        : new Response(null, { status: 302, headers: { location: "/moved" } });
    const d = discovery();
    expect((await d.resolve("localhost")).targets[0]).toMatchObject({ hostHeader: `localhost:${echo.port}` });
    expect(wellKnownHits).toBe(2);
  });

  test("a failed well-known falls back to SRV on the server's own name, and the failure is cached", async () => {
    wellKnownReply = () => new Response("{}", { status: 404 });
    const d = discovery();
    // No _matrix-fed record for localhost and no _matrix one either: port 8448.
    expect((await d.resolve("localhost")).targets).toEqual([
      { host: "localhost", port: 8448, hostHeader: "localhost", tlsName: "localhost" },
    ]);
    wellKnownReply = () => Response.json({ "m.server": "deleg.test" });
    await d.resolve("localhost");
    expect(wellKnownHits).toBe(1);
  });

  test("invalid well-known content counts as no delegation", async () => {
    wellKnownReply = () => Response.json({ "m.server": "not a server name!" });
    expect((await discovery().resolve("localhost")).targets[0]).toMatchObject({ port: 8448, hostHeader: "localhost" });
  });

  test("deprecated _matrix._tcp is used when _matrix-fed._tcp is absent; SRV priority orders targets", async () => {
    // example.test does not resolve, so its well-known fails and SRV decides.
    const d = discovery();
    const { targets } = await d.resolve("example.test");
    expect(targets.map((t) => t.port)).toEqual([echo.port!, 1]);
    expect(targets[0]).toMatchObject({ host: "localhost", hostHeader: "example.test", tlsName: "example.test" });
    expect(await getVia("example.test", d)).toMatchObject({ host: "example.test" });
    expect(dns.queries).toContain("SRV _matrix-fed._tcp.example.test");
    expect(dns.queries).toContain("SRV _matrix._tcp.example.test");
  });

  test("an SRV target of '.' means no service there: port 8448 on the name", async () => {
    expect((await discovery().resolve("gone.test")).targets).toEqual([
      { host: "gone.test", port: 8448, hostHeader: "gone.test", tlsName: "gone.test" },
    ]);
  });
});

describe("outbound client", () => {
  const probe = (client: OutboundHttp, host: string, path = "/probe") =>
    client.request({ host, port: echo.port!, hostHeader: host, tlsName: host === "127.0.0.1" ? undefined : host }, {
      method: "GET", path, maxBytes: 1024 * 1024, timeoutMs: 5_000,
    });

  test("refuses denylisted addresses, including names that resolve to them", async () => {
    const guarded = createOutboundHttp({ guard: createAddressGuard(["127.0.0.0/8", "::1/128"]), ca: [ca.caCert], allowInvalidCertificates: false });
    for (const host of ["127.0.0.1", "localhost"]) {
      const err = await probe(guarded, host).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OutboundError);
      expect((err as OutboundError).kind).toBe("denied");
    }
  });

  test("verifies certificates against the configured CA; an unknown CA fails unless verification is off", async () => {
    const systemOnly = createOutboundHttp({ guard: createAddressGuard([]), allowInvalidCertificates: false });
    const err = await probe(systemOnly, "localhost").catch((e: unknown) => e);
    expect((err as OutboundError).kind).toBe("tls");
    const insecure = createOutboundHttp({ guard: createAddressGuard([]), allowInvalidCertificates: true });
    expect((await probe(insecure, "localhost")).status).toBe(200);
  });

  test("a certificate for another name fails", async () => {
    const res = await http
      .request({ host: "127.0.0.1", port: wellKnown.port!, hostHeader: "deleg.test", tlsName: "deleg.test" }, {
        method: "GET", path: "/", maxBytes: 1024, timeoutMs: 5_000,
      })
      .catch((e: unknown) => e);
    expect((res as OutboundError).kind).toBe("tls");
  });

  test("caps the response size, declared or streamed", async () => {
    for (const path of ["/big", "/stream"]) {
      const err = await probe(http, "localhost", path).catch((e: unknown) => e);
      expect((err as OutboundError).kind).toBe("too-large");
    }
  });

  test("a closed port is a network failure", async () => {
    const err = await http
      .request({ host: "127.0.0.1", port: 1, hostHeader: "127.0.0.1:1" }, { method: "GET", path: "/", maxBytes: 1024, timeoutMs: 5_000 })
      .catch((e: unknown) => e);
    expect((err as OutboundError).kind).toBe("network");
  });
});
