/**
 * What handlers know about a request beyond its body: the address it came from (for per-address
 * rate limits and devices' `last_seen_ip`) and the operation it names (UIA binds sessions to it).
 * Bun knows the address only at the socket, so `serve` records for each request where to find it.
 * When the peer is a trusted reverse proxy (`trusted_proxies`), the client is the address that
 * proxy forwarded in `X-Forwarded-For`. Requests that did not come through `serve` report "unknown".
 */
import { isIP } from "node:net";
import type { RequestContext } from "../../services/accounts/users";

/** The server that accepted a request: it can name the request's peer and keep its socket open. */
interface Peer {
  requestIP(request: Request): { address: string } | null;
  timeout(request: Request, seconds: number): void;
}

/** Finds a request's client address, looked up only when a handler asks (most never do). */
export interface AddressSource {
  addressOf(request: Request): string | undefined;
}

/** `::ffff:127.0.0.1` (an IPv4 peer of a dual-stack socket) is `127.0.0.1`. */
const plain = (address: string) => (address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address);

/**
 * The client behind trusted proxies: walking `X-Forwarded-For` from the right (each proxy appends
 * the peer it saw), the first hop that is not itself a trusted proxy. Anything unreadable stops the
 * walk: a client can write whatever it likes into the left of the header.
 */
function forwardedClient(header: string | null, trusted: ReadonlySet<string>): string | undefined {
  if (!header) return undefined;
  const hops = header.split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = plain(hops[i]!.trim());
    if (isIP(hop) === 0) return undefined;
    if (!trusted.has(hop)) return hop;
  }
  return undefined;
}

export function addressSource(server: Peer, trustedProxies: readonly string[]): AddressSource {
  const trusted = new Set(trustedProxies.map(plain));
  return {
    addressOf(request) {
      const address = server.requestIP(request)?.address;
      if (address === undefined) return undefined;
      const peer = plain(address);
      if (!trusted.has(peer)) return peer;
      return forwardedClient(request.headers.get("x-forwarded-for"), trusted) ?? peer;
    },
  };
}

/** Per request: where to find its address, or the address itself when the request was rebuilt (r0). */
const sources = new WeakMap<Request, AddressSource | string>();

export function rememberClientAddress(request: Request, source: AddressSource | string | undefined): void {
  if (source !== undefined) sources.set(request, source);
}

export function clientAddress(request: Request): string {
  const source = sources.get(request);
  if (source === undefined) return "unknown";
  return typeof source === "string" ? source : (source.addressOf(request) ?? "unknown");
}

/** Per request: the server whose socket it came on, and the request Bun received (before an r0 rewrite). */
const sockets = new WeakMap<Request, { server: Peer; received: Request }>();

export function rememberSocket(request: Request, server: Peer, received: Request = request): void {
  sockets.set(request, { server, received });
}

/**
 * Lets the request's connection stay quiet for `seconds` (a long-poll is silent until it answers;
 * Bun closes a connection idle for 10 s by default). A no-op for requests not from `serve`.
 */
export function allowSilence(request: Request, seconds: number): void {
  const socket = sockets.get(request);
  socket?.server.timeout(socket.received, seconds);
}

export function requestContext(request: Request): RequestContext {
  return { operation: `${request.method} ${new URL(request.url).pathname}`, clientAddress: clientAddress(request) };
}
