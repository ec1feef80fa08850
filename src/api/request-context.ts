/**
 * What handlers know about a request beyond its body: the address it came from (for per-address
 * rate limits and devices' `last_seen_ip`) and the operation it names (UIA binds sessions to it).
 * Bun knows the address only at the socket, so `serve` records it for each request as it arrives.
 * Requests that did not come through `serve` report "unknown".
 */
import type { RequestContext } from "../services/accounts";

const addresses = new WeakMap<Request, string>();

export function rememberClientAddress(request: Request, address: string | undefined): void {
  if (address !== undefined) addresses.set(request, address);
}

export function clientAddress(request: Request): string {
  return addresses.get(request) ?? "unknown";
}

export function requestContext(request: Request): RequestContext {
  return { operation: `${request.method} ${new URL(request.url).pathname}`, clientAddress: clientAddress(request) };
}
