/**
 * Requests to application services (spec "Application Service API"): transactions, user and room
 * alias queries, third-party network lookups, and pings, each with the appservice's `hs_token` as a Bearer token (since v1.4;
 * the `access_token` query parameter is deprecated). The URL is the operator's own registration,
 * often on loopback, so these requests are not held to the denylist that guards federation.
 * Every request has a deadline; an answer is read under a size cap.
 */
import { errorMessage, type JsonObject } from "../core";

/** What a request to an appservice ended with when it gave no HTTP answer. */
export class AppserviceUnreachable extends Error {
  constructor(
    readonly kind: "connection" | "timeout",
    message: string,
  ) {
    super(message);
    this.name = "AppserviceUnreachable";
  }
}

export interface AppserviceTarget {
  /** The registration's `url`, without a trailing slash. */
  url: string;
  hsToken: string;
  /** `allow_invalid_tls_certificates`: an https registration's certificate is not verified (test networks). */
  allowInvalidCertificates?: boolean;
}

export interface AppserviceAnswer {
  status: number;
  /** The body as text (cut at the size cap). */
  text: string;
}

const MAX_ANSWER_BYTES = 64 * 1024;
export const TRANSACTION_TIMEOUT_MS = 60_000;
export const QUERY_TIMEOUT_MS = 10_000;
/** Synapse's figure for pings; the spec leaves it to the homeserver. */
export const PING_TIMEOUT_MS = 10_000;

async function readCapped(res: Response): Promise<string> {
  const buf = new Uint8Array(await res.arrayBuffer());
  return new TextDecoder().decode(buf.length > MAX_ANSWER_BYTES ? buf.subarray(0, MAX_ANSWER_BYTES) : buf);
}

/** One request to an appservice; throws `AppserviceUnreachable` when no answer came. */
export async function callAppservice(
  target: AppserviceTarget,
  method: "GET" | "PUT" | "POST",
  path: string,
  body: JsonObject | undefined,
  timeoutMs: number,
): Promise<AppserviceAnswer> {
  const headers: Record<string, string> = { authorization: `Bearer ${target.hsToken}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      ...(target.allowInvalidCertificates ? { tls: { rejectUnauthorized: false } } : {}),
    });
    return { status: res.status, text: await readCapped(res) };
  } catch (e) {
    if (e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError")) {
      throw new AppserviceUnreachable("timeout", `no answer within ${timeoutMs} ms`);
    }
    throw new AppserviceUnreachable("connection", errorMessage(e));
  }
}

/** `PUT /_matrix/app/v1/transactions/{txnId}` */
export function putTransaction(target: AppserviceTarget, txnId: string, body: JsonObject): Promise<AppserviceAnswer> {
  return callAppservice(target, "PUT", `/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`, body, TRANSACTION_TIMEOUT_MS);
}

/**
 * `GET /_matrix/app/v1/users/{userId}` or `/rooms/{roomAlias}`: whether the appservice says it
 * has (and has now created) the user or alias. Any failure counts as "no".
 */
export async function queryAppservice(target: AppserviceTarget, kind: "users" | "rooms", id: string): Promise<boolean> {
  try {
    const answer = await callAppservice(target, "GET", `/_matrix/app/v1/${kind}/${encodeURIComponent(id)}`, undefined, QUERY_TIMEOUT_MS);
    return answer.status >= 200 && answer.status < 300;
  } catch (e) {
    if (e instanceof AppserviceUnreachable) return false;
    throw e;
  }
}

/**
 * `GET` of one of the appservice's third-party paths (`/_matrix/app/v1/thirdparty/...`, query
 * included): the JSON of a 2xx answer, else undefined (no answer, another status, not JSON).
 */
export async function getThirdParty(target: AppserviceTarget, path: string): Promise<unknown> {
  try {
    const answer = await callAppservice(target, "GET", `/_matrix/app/v1/thirdparty/${path}`, undefined, QUERY_TIMEOUT_MS);
    return answer.status >= 200 && answer.status < 300 ? JSON.parse(answer.text) : undefined;
  } catch (e) {
    if (e instanceof AppserviceUnreachable || e instanceof SyntaxError) return undefined;
    throw e;
  }
}
