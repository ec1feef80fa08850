/**
 * What handlers know about a request beyond its body: the address it came from (for per-address
 * rate limits and devices' `last_seen_ip`) and the operation it names (UIA binds sessions to it).
 * Bun knows the address only at the socket, so `serve` records it for each request as it arrives.
 * Requests that did not come through `serve` report "unknown".
 */
import type { RequestContext } from "../services/accounts";

/** What can tell a request's peer address: the server that accepted it (asked only when needed). */
interface AddressSource {
  requestIP(request: Request): { address: string } | null;
}

/** Per request: the accepting server, or the address itself when the request was rebuilt (r0). */
const sources = new WeakMap<Request, AddressSource | string>();

export function rememberClientAddress(request: Request, source: AddressSource | string | undefined): void {
  if (source !== undefined) sources.set(request, source);
}

export function clientAddress(request: Request): string {
  const source = sources.get(request);
  if (source === undefined) return "unknown";
  return typeof source === "string" ? source : (source.requestIP(request)?.address ?? "unknown");
}

export function requestContext(request: Request): RequestContext {
  return { operation: `${request.method} ${new URL(request.url).pathname}`, clientAddress: clientAddress(request) };
}
