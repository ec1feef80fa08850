/**
 * The `multipart/mixed` answers of the federation media endpoints (spec v1.11, server-server
 * "Content Repository"): a first part of JSON metadata (an empty object today), then either the
 * content with its own Content-Type (and Content-Disposition), or an empty part whose `Location`
 * header says where to fetch the content.
 */

export interface MultipartPart {
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export type FederationMediaAnswer =
  | { kind: "content"; metadata: unknown; contentType: string | null; contentDisposition: string | null; body: Uint8Array }
  | { kind: "location"; metadata: unknown; location: string };

const CRLF = new Uint8Array([13, 10]);
const CRLF_CRLF = new Uint8Array([13, 10, 13, 10]);
const enc = new TextEncoder();

/** The boundary of a `multipart/...; boundary=...` Content-Type, or null. */
export function multipartBoundary(contentType: string | null): string | null {
  if (!contentType || !/^\s*multipart\/mixed\s*;/i.test(contentType)) return null;
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  return boundary && boundary.length <= 70 ? boundary : null;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Splits a multipart body into its parts; null when it is not well formed. */
export function parseMultipart(body: Uint8Array, boundary: string): MultipartPart[] | null {
  const delimiter = enc.encode(`--${boundary}`);
  let at = indexOf(body, delimiter, 0);
  if (at < 0) return null;
  const parts: MultipartPart[] = [];
  const decoder = new TextDecoder();
  for (;;) {
    at += delimiter.length;
    if (body[at] === 45 && body[at + 1] === 45) return parts; // "--": the closing delimiter
    if (body[at] !== 13 || body[at + 1] !== 10) return null;
    const headerEnd = indexOf(body, CRLF_CRLF, at); // == at when the part has no headers
    if (headerEnd < 0) return null;
    const headerBlock = decoder.decode(body.subarray(at + 2, Math.max(at + 2, headerEnd)));
    const headers: Record<string, string> = {};
    for (const line of headerBlock.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const start = headerEnd + 4;
    const next = indexOf(body, enc.encode(`\r\n--${boundary}`), start);
    if (next < 0) return null;
    parts.push({ headers, body: body.subarray(start, next) });
    at = next + 2;
  }
}

/** Reads a federation media answer: metadata, then content or a Location. */
export function parseFederationMedia(contentType: string | null, body: Uint8Array): FederationMediaAnswer | null {
  const boundary = multipartBoundary(contentType);
  if (!boundary) return null;
  const parts = parseMultipart(body, boundary);
  if (!parts || parts.length < 2) return null;
  let metadata: unknown;
  try {
    metadata = JSON.parse(new TextDecoder().decode(parts[0]!.body));
  } catch {
    return null;
  }
  const media = parts[1]!;
  if (media.headers.location) return { kind: "location", metadata, location: media.headers.location };
  return {
    kind: "content",
    metadata,
    contentType: media.headers["content-type"] ?? null,
    contentDisposition: media.headers["content-disposition"] ?? null,
    body: media.body,
  };
}

/** What goes before and after the content of a federation media answer we serve. */
export function federationMediaFrame(boundary: string, headers: Record<string, string>): { contentType: string; head: Uint8Array; tail: Uint8Array } {
  const partHeaders = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  return {
    contentType: `multipart/mixed; boundary=${boundary}`,
    head: enc.encode(`--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${boundary}\r\n${partHeaders}\r\n`),
    tail: new Uint8Array([...CRLF, ...enc.encode(`--${boundary}--\r\n`)]),
  };
}
