/**
 * Server discovery (spec "Resolving server names"): turns a server name into the addresses to
 * connect to, the `Host` header and the certificate name. IP literals and explicit ports are used
 * as given; otherwise `/.well-known/matrix/server` may delegate, then SRV `_matrix-fed._tcp`, then
 * the deprecated `_matrix._tcp`, then port 8448. Well-known answers are cached as their headers
 * say (24 h by default, 48 h at most); failures are cached with a growing delay up to an hour.
 */
import { Resolver } from "node:dns/promises";
import type { Clock } from "../runtime/clock";
import { parseServerName } from "../core";
import { OutboundError, type OutboundHttp, type Target } from "./outbound-http";

const DEFAULT_PORT = 8448;
const HOUR = 3_600_000;
const WELL_KNOWN_DEFAULT_TTL = 24 * HOUR;
const WELL_KNOWN_MAX_TTL = 48 * HOUR;
const WELL_KNOWN_MIN_TTL = 5 * 60_000;
const WELL_KNOWN_FIRST_RETRY = 2 * 60_000;
const WELL_KNOWN_MAX_BYTES = 64 * 1024;
const WELL_KNOWN_REDIRECTS = 5;
/** SRV answers carry no TTL through node:dns, so a resolution is reused for this long. */
const RESOLUTION_TTL = 10 * 60_000;
/** Servers remembered at once; past it the caches start over (names are chosen by others). */
const MAX_CACHED = 10_000;

export interface ResolvedServer {
  serverName: string;
  /** Candidates in preference order (several only when SRV lists several). */
  targets: Target[];
}

export interface DiscoveryDeps {
  http: OutboundHttp;
  clock: Clock;
  /** DNS for SRV look-ups; a default Resolver uses the system's name servers. */
  resolver?: Pick<Resolver, "resolveSrv">;
  /** Port of the well-known request; 443 except when a test serves it elsewhere. */
  wellKnownPort?: number;
}

/** A server name's parts for connecting: the bare IP of a literal, and a port in 1-65535. */
function parseName(name: string): { host: string; ip?: string; port?: number } | null {
  const parsed = parseServerName(name);
  if (!parsed || (parsed.port !== undefined && (parsed.port < 1 || parsed.port > 65535))) return null;
  const ip = parsed.kind === "ipv4" ? parsed.host : parsed.kind === "ipv6" ? parsed.host.slice(1, -1) : undefined;
  return { host: parsed.host, ip, port: parsed.port };
}

export interface ServerDiscovery {
  resolve(serverName: string): Promise<ResolvedServer>;
}

interface WellKnownEntry {
  delegated: string | null;
  expiresAt: number;
  failures: number;
}

export function createServerDiscovery(deps: DiscoveryDeps): ServerDiscovery {
  const resolver = deps.resolver ?? new Resolver({ timeout: 5_000, tries: 2 });
  const wellKnownPort = deps.wellKnownPort ?? 443;
  const wellKnownCache = new Map<string, WellKnownEntry>();
  const resolutions = new Map<string, { targets: Target[]; expiresAt: number }>();

  async function srvTargets(hostname: string): Promise<Target[]> {
    for (const service of ["_matrix-fed._tcp", "_matrix._tcp"]) {
      let records: Awaited<ReturnType<Resolver["resolveSrv"]>>;
      try {
        records = await resolver.resolveSrv(`${service}.${hostname}`);
      } catch {
        continue; // NXDOMAIN, no data or an unreachable resolver: same as no record
      }
      // A target of "." means the service is decidedly not available at this name.
      const usable = records.filter((r) => r.name !== "" && r.name !== ".");
      if (usable.length === 0) continue;
      usable.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
      return usable.map((r) => ({ host: r.name, port: r.port, hostHeader: hostname, tlsName: hostname }));
    }
    return [{ host: hostname, port: DEFAULT_PORT, hostHeader: hostname, tlsName: hostname }];
  }

  function remember(hostname: string, entry: WellKnownEntry): void {
    if (wellKnownCache.size >= MAX_CACHED) wellKnownCache.clear();
    wellKnownCache.set(hostname, entry);
  }

  /** The delegated server name from well-known, or null when there is no usable answer. */
  async function wellKnown(hostname: string): Promise<string | null> {
    const now = deps.clock.now();
    const cached = wellKnownCache.get(hostname);
    if (cached && cached.expiresAt > now) return cached.delegated;
    try {
      const { delegated, ttl } = await fetchWellKnown(hostname);
      remember(hostname, { delegated, expiresAt: now + ttl, failures: 0 });
      return delegated;
    } catch {
      const failures = (cached?.delegated === null ? cached.failures : 0) + 1;
      const delay = Math.min(HOUR, WELL_KNOWN_FIRST_RETRY * 2 ** (failures - 1));
      remember(hostname, { delegated: null, expiresAt: now + delay, failures });
      return null;
    }
  }

  async function fetchWellKnown(hostname: string): Promise<{ delegated: string; ttl: number }> {
    let target: Target = {
      host: hostname,
      port: wellKnownPort,
      hostHeader: wellKnownPort === 443 ? hostname : `${hostname}:${wellKnownPort}`,
      tlsName: hostname,
    };
    let path = "/.well-known/matrix/server";
    for (let hop = 0; hop <= WELL_KNOWN_REDIRECTS; hop++) {
      const res = await deps.http.request(target, { method: "GET", path, maxBytes: WELL_KNOWN_MAX_BYTES, timeoutMs: 10_000 });
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        // Each hop goes back through the address guard, as a fresh target.
        const next = new URL(location, `https://${target.hostHeader}${path}`);
        if (next.protocol !== "https:") throw new OutboundError("network", "well-known redirected away from https");
        const bare = next.hostname.replace(/^\[|\]$/g, "");
        const isLiteral = parseName(next.hostname)?.ip !== undefined;
        target = { host: bare, port: Number(next.port || 443), hostHeader: next.host, tlsName: isLiteral ? undefined : bare };
        path = next.pathname + next.search;
        continue;
      }
      if (res.status !== 200) throw new OutboundError("network", `well-known answered ${res.status}`);
      // The spec asks to parse the body as JSON whatever its content type says.
      const body = JSON.parse(new TextDecoder().decode(res.body)) as unknown;
      const delegated = typeof body === "object" && body !== null ? (body as Record<string, unknown>)["m.server"] : undefined;
      if (typeof delegated !== "string" || !parseName(delegated)) throw new Error("well-known has no valid m.server");
      return { delegated, ttl: cacheLifetime(res.headers, deps.clock.now()) };
    }
    throw new OutboundError("network", "well-known redirects too many times");
  }

  async function discover(serverName: string): Promise<Target[]> {
    const parsed = parseName(serverName);
    if (!parsed) throw new OutboundError("dns", `"${serverName}" is not a valid server name`);
    // 1. An IP literal: no SNI, certificate for the address, port as given or 8448.
    if (parsed.ip) return [{ host: parsed.ip, port: parsed.port ?? DEFAULT_PORT, hostHeader: serverName }];
    // 2. A hostname with an explicit port: no delegation.
    if (parsed.port) return [{ host: parsed.host, port: parsed.port, hostHeader: serverName, tlsName: parsed.host }];
    // 3. Delegation through well-known, then the same rules on the delegated name.
    const delegated = await wellKnown(parsed.host);
    if (delegated !== null) {
      const d = parseName(delegated)!;
      if (d.ip) return [{ host: d.ip, port: d.port ?? DEFAULT_PORT, hostHeader: delegated }];
      if (d.port) return [{ host: d.host, port: d.port, hostHeader: delegated, tlsName: d.host }];
      return srvTargets(d.host);
    }
    // 4-6. No delegation: SRV on the server's own hostname, then its port 8448.
    return srvTargets(parsed.host);
  }

  return {
    async resolve(serverName) {
      const now = deps.clock.now();
      const cached = resolutions.get(serverName);
      if (cached && cached.expiresAt > now) return { serverName, targets: cached.targets };
      const targets = await discover(serverName);
      const wellKnownExpiry = wellKnownCache.get(parseName(serverName)?.host ?? "")?.expiresAt ?? Infinity;
      if (resolutions.size >= MAX_CACHED) resolutions.clear();
      resolutions.set(serverName, { targets, expiresAt: Math.min(now + RESOLUTION_TTL, wellKnownExpiry) });
      return { serverName, targets };
    },
  };
}

/** Lifetime of a well-known answer from Cache-Control or Expires, bounded as the spec suggests. */
export function cacheLifetime(headers: Headers, now: number): number {
  const control = headers.get("cache-control") ?? "";
  let ttl: number | undefined;
  if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/i.test(control)) ttl = 0;
  const maxAge = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(control);
  if (ttl === undefined && maxAge) ttl = Number(maxAge[1]) * 1000;
  const expires = headers.get("expires");
  if (ttl === undefined && expires) {
    const at = Date.parse(expires);
    if (!Number.isNaN(at)) ttl = at - now;
  }
  return Math.min(WELL_KNOWN_MAX_TTL, Math.max(WELL_KNOWN_MIN_TTL, ttl ?? WELL_KNOWN_DEFAULT_TTL));
}
