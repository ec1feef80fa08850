/**
 * The answer to a media download: the file streamed from disk with headers that keep it from
 * acting as a web page on our origin (spec v1.12+ "Content repository" security considerations):
 * a sanitised Content-Type, Content-Disposition inline only for harmless types, a sandboxing CSP,
 * nosniff, and a resource policy that lets other origins' clients embed it. Content never changes
 * under an id, so its SHA-256 is a strong ETag and it may be cached for long; `Range` is honoured.
 */
import { parseByteRange } from "../../core/media/byte-range";
import { contentDisposition, servedContentType } from "../../core/media/content-disposition";
import { corsHeaders } from "../plugins/cors";

export interface MediaFile {
  file: Blob;
  sha256: string;
  contentType: string | null;
  filename: string | null;
}

export const MEDIA_SECURITY_HEADERS = {
  "Content-Security-Policy": "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';",
  "Cross-Origin-Resource-Policy": "cross-origin",
  "X-Content-Type-Options": "nosniff",
} as const;

export function mediaResponse(request: Request, media: MediaFile): Response {
  const etag = `"${media.sha256}"`;
  // A Response of our own skips Elysia's default headers: CORS is added here (web clients fetch
  // media with their token from another origin).
  const headers: Record<string, string> = {
    ...corsHeaders,
    ...MEDIA_SECURITY_HEADERS,
    "Content-Type": servedContentType(media.contentType),
    "Content-Disposition": contentDisposition(media.contentType, media.filename),
    "Cache-Control": "private, max-age=31536000, immutable",
    ETag: etag,
    "Accept-Ranges": "bytes",
  };
  const ifNoneMatch = request.headers.get("if-none-match");
  if (ifNoneMatch && ifNoneMatch.split(",").some((tag) => tag.trim() === etag || tag.trim() === "*")) {
    return new Response(null, { status: 304, headers });
  }
  const size = media.file.size;
  // A Range with If-Range naming another version is answered whole (RFC 9110, 13.1.5).
  const ifRange = request.headers.get("if-range");
  const range = ifRange && ifRange !== etag ? { kind: "whole" as const } : parseByteRange(request.headers.get("range"), size);
  if (range.kind === "unsatisfiable") {
    return new Response(null, { status: 416, headers: { ...headers, "Content-Range": `bytes */${size}` } });
  }
  if (range.kind === "part") {
    headers["Content-Range"] = `bytes ${range.start}-${range.end}/${size}`;
    return new Response(media.file.slice(range.start, range.end + 1), { status: 206, headers });
  }
  return new Response(media.file, { status: 200, headers });
}
