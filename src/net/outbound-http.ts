/**
 * HTTPS to other servers, hardened for attacker-chosen targets: every hostname is resolved here,
 * each address is checked against the denylist, and the connection goes to the checked address
 * (a later DNS answer cannot swap it), while the Host header and TLS name stay the server's. No
 * redirect is followed implicitly; every response body is read under a size cap. Certificates
 * are verified against the system store plus an optional extra CA file, unless the operator
 * turned verification off.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { AddressGuard } from "./ip-ranges";
import { errorMessage } from "../core";

/** Where to connect and what to claim: the output of server discovery, or of a plain URL. */
export interface Target {
  /** A hostname to resolve or an IP literal (IPv6 without brackets). */
  host: string;
  port: number;
  /** The `Host` header to send. */
  hostHeader: string;
  /** The name the certificate must be valid for (and the SNI); absent for an IP literal. */
  tlsName?: string;
  /** Plain HTTP (URL previews of http:// pages); federation is always HTTPS. */
  plain?: boolean;
}

export interface HttpRequest {
  method: string;
  /** Path and query, starting with `/`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Largest response body accepted, in bytes. */
  maxBytes: number;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

export type OutboundFailure = "denied" | "dns" | "network" | "tls" | "timeout" | "too-large";

/** Why a remote request produced no response; `kind` lets callers decide on retries. */
export class OutboundError extends Error {
  constructor(readonly kind: OutboundFailure, message: string) {
    super(message);
    this.name = "OutboundError";
  }
}

export interface OutboundHttpOptions {
  guard: AddressGuard;
  /** Trusted roots; undefined keeps the runtime's defaults. */
  ca?: string[];
  allowInvalidCertificates: boolean;
}

export interface OutboundHttp {
  request(target: Target, req: HttpRequest): Promise<HttpResponse>;
}

/** Resolves a host to every address, IPv6 and IPv4, in the resolver's order. */
async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  try {
    return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch (e) {
    throw new OutboundError("dns", `cannot resolve ${host}: ${errorMessage(e)}`);
  }
}

export function createOutboundHttp(opts: OutboundHttpOptions): OutboundHttp {
  // One keep-alive pool per certificate name: a session's TLS settings (SNI, CA) are fixed.
  const sessions = new Map<string, Bun.FetchSession>();
  const sessionFor = (tlsName: string | undefined): Bun.FetchSession => {
    const key = tlsName ?? "";
    let session = sessions.get(key);
    if (!session) {
      if (sessions.size >= 1024) {
        const [oldestKey, oldest] = sessions.entries().next().value!;
        oldest.close();
        sessions.delete(oldestKey);
      }
      session = new Bun.FetchSession({
        tls: { ca: opts.ca, serverName: tlsName, rejectUnauthorized: !opts.allowInvalidCertificates },
      });
      sessions.set(key, session);
    }
    return session;
  };

  return {
    async request(target, req) {
      const addresses = (await addressesOf(target.host)).filter((ip) => opts.guard.allows(ip));
      if (addresses.length === 0) {
        throw new OutboundError("denied", `${target.host} resolves only to addresses in ip_range_denylist`);
      }
      let lastError: OutboundError | undefined;
      // Try each permitted address until one accepts the connection.
      for (const ip of addresses) {
        const url = `${target.plain ? "http" : "https"}://${ip.includes(":") ? `[${ip}]` : ip}:${target.port}${req.path}`;
        let res: Response;
        try {
          res = await sessionFor(target.tlsName).fetch(url, {
            method: req.method,
            headers: { ...req.headers, host: target.hostHeader },
            body: req.body,
            redirect: "manual",
            signal: AbortSignal.timeout(req.timeoutMs),
          });
        } catch (e) {
          lastError = classify(e, target);
          if (lastError.kind === "network") continue;
          throw lastError;
        }
        return { status: res.status, headers: res.headers, body: await readCapped(res, req.maxBytes, target) };
      }
      throw lastError!;
    },
  };
}

function classify(e: unknown, target: Target): OutboundError {
  const err = e as Error & { code?: string };
  const where = `${target.hostHeader}`;
  if (err.name === "TimeoutError" || err.name === "AbortError") return new OutboundError("timeout", `${where} timed out`);
  const code = err.code ?? "";
  if (/CERT|TLS|SSL|UNABLE_TO_VERIFY|SELF_SIGNED|HOSTNAME/i.test(code)) {
    return new OutboundError("tls", `${where}: TLS failure (${code})`);
  }
  return new OutboundError("network", `${where}: ${code || err.message}`);
}

/** Reads the body but stops (and fails) as soon as it passes `maxBytes`. */
async function readCapped(res: Response, maxBytes: number, target: Target): Promise<Uint8Array> {
  const tooLarge = () => new OutboundError("too-large", `${target.hostHeader} sent a response over ${maxBytes} bytes`);
  const declared = Number(res.headers.get("content-length") ?? "NaN");
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      total += chunk.byteLength;
      if (total > maxBytes) throw tooLarge(); // leaving the loop cancels the stream
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof OutboundError) throw e;
    throw classify(e, target);
  }
  return chunks.length === 1 ? chunks[0]! : new Uint8Array(Bun.concatArrayBuffers(chunks));
}
