/**
 * Requests to other homeservers: resolves the destination (discovery), signs the request with our
 * key (X-Matrix), sends it through the guarded HTTPS client, and returns the JSON body of a 2xx
 * answer. Anything else becomes a `RemoteError` (the server answered) or an `OutboundError` (it
 * could not be reached), so callers can tell "refused" from "retry later".
 */
import type { JsonValue, SigningKey } from "../core";
import type { ServerDiscovery } from "./discovery";
import { OutboundError, type HttpResponse, type OutboundHttp } from "./outbound-http";
import { signRequest } from "./x-matrix";

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;

/** A remote server answered with a non-2xx status. */
export class RemoteError extends Error {
  constructor(
    readonly destination: string,
    readonly status: number,
    readonly errcode: string | undefined,
    readonly body: unknown,
  ) {
    super(`${destination} answered ${status}${errcode ? ` ${errcode}` : ""}`);
    this.name = "RemoteError";
  }
}

export interface FederationRequest {
  method: "GET" | "PUT" | "POST" | "DELETE";
  /** Path and query, already percent-encoded. */
  path: string;
  body?: JsonValue;
  /** Key-server requests go unsigned; everything else is signed. */
  signed?: boolean;
  maxBytes?: number;
  timeoutMs?: number;
}

export interface FederationClient {
  request<T = unknown>(destination: string, req: FederationRequest): Promise<T>;
  /** The same request, answered with status, headers and body bytes as they came (media). */
  requestRaw?(destination: string, req: FederationRequest & { accept?: string }): Promise<HttpResponse>;
}

export interface FederationClientDeps {
  serverName: string;
  signingKey: SigningKey;
  discovery: ServerDiscovery;
  http: OutboundHttp;
}

export function createFederationClient(deps: FederationClientDeps): FederationClient {
  /** Signs and sends the request to the first of the destination's targets that answers. */
  async function send(destination: string, req: FederationRequest, accept: string): Promise<HttpResponse> {
    const { targets } = await deps.discovery.resolve(destination);
    const headers: Record<string, string> = { accept };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers["content-type"] = "application/json";
    }
    if (req.signed !== false) {
      headers.authorization = signRequest(
        { method: req.method, uri: req.path, origin: deps.serverName, destination, content: req.body },
        deps.signingKey,
      );
    }
    let lastError: unknown;
    for (const target of targets) {
      try {
        return await deps.http.request(target, {
          method: req.method,
          path: req.path,
          headers,
          body,
          maxBytes: req.maxBytes ?? DEFAULT_MAX_BYTES,
          timeoutMs: req.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        });
      } catch (e) {
        // Another SRV target may be up; anything but a refused connection is final.
        lastError = e;
        if (e instanceof OutboundError && e.kind === "network") continue;
        throw e;
      }
    }
    throw lastError;
  }

  return {
    async request<T>(destination: string, req: FederationRequest): Promise<T> {
      const res = await send(destination, req, "application/json");
      const text = new TextDecoder().decode(res.body);
      let parsed: unknown;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (res.status < 200 || res.status >= 300) throw remoteError(destination, res.status, parsed);
      if (parsed === undefined) throw new RemoteError(destination, res.status, undefined, text.slice(0, 200));
      return parsed as T;
    },

    async requestRaw(destination, req) {
      const res = await send(destination, req, req.accept ?? "*/*");
      if (res.status >= 200 && res.status < 400) return res;
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(res.body));
      } catch {
        parsed = undefined;
      }
      throw remoteError(destination, res.status, parsed);
    },
  };
}

function remoteError(destination: string, status: number, parsed: unknown): RemoteError {
  const errcode = typeof parsed === "object" && parsed !== null ? (parsed as { errcode?: unknown }).errcode : undefined;
  return new RemoteError(destination, status, typeof errcode === "string" ? errcode : undefined, parsed);
}

/**
 * Whether an error means the remote server lacks the endpoint (it predates that version of an
 * API): 404 or 405 without a Matrix error other than `M_UNRECOGNIZED`, or 400 `M_UNRECOGNIZED`.
 * A 404 `M_NOT_FOUND` is an answer about the resource, not about the endpoint.
 */
export function isUnknownEndpoint(e: unknown): boolean {
  if (!(e instanceof RemoteError)) return false;
  if (e.status === 404 || e.status === 405) return e.errcode === undefined || e.errcode === "M_UNRECOGNIZED";
  return e.status === 400 && e.errcode === "M_UNRECOGNIZED";
}

/**
 * A v2 membership request (`send_join`, `send_leave`, `invite`), sent again in its v1 form when the
 * server does not know v2. The v1 endpoints wrap their answer as `[200, body]`; this unwraps it.
 */
export async function requestV2OrV1<T>(client: FederationClient, destination: string, v2: FederationRequest, v1: FederationRequest): Promise<T> {
  try {
    return await client.request<T>(destination, v2);
  } catch (e) {
    if (!isUnknownEndpoint(e)) throw e;
  }
  const answer = await client.request<unknown>(destination, v1);
  if (!Array.isArray(answer) || answer[0] !== 200 || typeof answer[1] !== "object" || answer[1] === null) {
    throw new RemoteError(destination, 200, undefined, "a v1 answer that is not [200, {...}]");
  }
  return answer[1] as T;
}
