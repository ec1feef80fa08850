/**
 * Request authentication between servers (spec "Request Authentication"): the JSON object a
 * request signature covers, and the `Authorization: X-Matrix …` header that carries it. Parsing
 * follows RFC 9110 auth-params: names case-insensitive, values quoted (with backslash escapes) or
 * bare tokens (colons allowed, for older servers), unknown parameters ignored.
 */
import { canonicalJson, JsonError, signJson, type JsonValue, type SigningKey } from "../core";

export interface XMatrixParams {
  origin: string;
  /** Absent from servers older than spec v1.3. */
  destination?: string;
  key: string;
  sig: string;
}

export interface SignedRequest {
  method: string;
  /** Path and query exactly as sent, starting with `/_matrix/`. */
  uri: string;
  origin: string;
  destination: string;
  /** The JSON-parsed body, when the request has one. */
  content?: JsonValue;
}

/** The object whose signature authenticates a request. */
export function requestSigningObject(req: SignedRequest): Record<string, JsonValue> {
  const obj: Record<string, JsonValue> = {
    method: req.method,
    uri: req.uri,
    origin: req.origin,
    destination: req.destination,
  };
  if (req.content !== undefined) obj.content = req.content;
  return obj;
}

/**
 * The bytes a request's signature covers. A transaction may hold numbers canonical JSON cannot
 * encode (its PDUs are judged one by one): then its body counts as its sender wrote it, which is
 * where `content` sits in canonical key order, first.
 */
export function requestSignedBytes(req: SignedRequest, contentText?: string): string {
  try {
    return canonicalJson(requestSigningObject(req));
  } catch (e) {
    if (contentText === undefined || !(e instanceof JsonError)) throw e;
    const rest = canonicalJson(requestSigningObject({ ...req, content: undefined }));
    return `{"content":${contentText.trim()},${rest.slice(1)}`;
  }
}

/** The Authorization header for a request we send. */
export function signRequest(req: SignedRequest, key: SigningKey): string {
  const signed = signJson(requestSigningObject(req), req.origin, key.keyId, key.seed);
  const sig = signed.signatures[req.origin]![key.keyId]!;
  return `X-Matrix origin="${req.origin}",destination="${req.destination}",key="${key.keyId}",sig="${sig}"`;
}

const SPACE = /[ \t]/;

/** Reads the first X-Matrix credentials of an Authorization header; null if there are none. */
export function parseXMatrix(header: string | null | undefined): XMatrixParams | null {
  if (!header) return null;
  const scheme = /^\s*X-Matrix[ \t]+/i.exec(header);
  if (!scheme) return null;
  const params = new Map<string, string>();
  let i = scheme[0].length;
  const n = header.length;
  while (i < n) {
    while (i < n && (SPACE.test(header[i]!) || header[i] === ",")) i++;
    const eq = header.indexOf("=", i);
    if (eq < 0) break;
    const name = header.slice(i, eq).trim().toLowerCase();
    // A name with a space in it is the start of another credential: stop at the first one.
    if (name === "" || /\s/.test(name)) break;
    i = eq + 1;
    while (i < n && SPACE.test(header[i]!)) i++;
    let value = "";
    if (header[i] === '"') {
      i++;
      while (i < n && header[i] !== '"') {
        if (header[i] === "\\" && i + 1 < n) i++;
        value += header[i];
        i++;
      }
      if (i >= n) return null; // unterminated quoted string
      i++;
    } else {
      const start = i;
      while (i < n && header[i] !== "," && !SPACE.test(header[i]!)) i++;
      value = header.slice(start, i);
    }
    if (!params.has(name)) params.set(name, value);
  }
  const origin = params.get("origin");
  const key = params.get("key");
  const sig = params.get("sig");
  if (!origin || !key || !sig) return null;
  const destination = params.get("destination");
  return destination === undefined ? { origin, key, sig } : { origin, destination, key, sig };
}
