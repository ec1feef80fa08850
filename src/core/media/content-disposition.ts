/**
 * Download headers that keep media from acting as a web page (spec v1.12+, "Serving inline
 * content"): only types a browser renders harmlessly are `inline`, everything else is an
 * `attachment`; the filename is encoded per RFC 6266 / RFC 8187, so any name survives and none can
 * inject a header.
 */

/** Types shown inline: pictures, audio, video and plain text. Never HTML, SVG, XML or scripts. */
const INLINE_TYPES = new Set([
  "text/plain", "text/csv", "application/json", "application/ld+json",
  "image/jpeg", "image/gif", "image/png", "image/apng", "image/webp", "image/avif",
  "video/mp4", "video/webm", "video/ogg", "video/quicktime",
  "audio/mp4", "audio/webm", "audio/aac", "audio/mpeg", "audio/ogg", "audio/wave", "audio/wav",
  "audio/x-wav", "audio/x-pn-wav", "audio/flac", "audio/x-flac",
]);

/** `type/subtype` in lower case, without parameters; null when the value is not a media type. */
export function essence(contentType: string | null | undefined): string | null {
  if (!contentType) return null;
  const base = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(base) ? base : null;
}

/** The Content-Type to send: the stored one when it is a valid media type, octet-stream otherwise. */
export function servedContentType(contentType: string | null | undefined): string {
  const base = essence(contentType);
  if (!base || /[\r\n]/.test(contentType!)) return "application/octet-stream";
  // Text without a charset would be sniffed by the browser; say UTF-8.
  if (base.startsWith("text/") && !/;\s*charset=/i.test(contentType!)) return `${base}; charset=utf-8`;
  return contentType!.trim();
}

export function isInlineType(contentType: string | null | undefined): boolean {
  const base = essence(contentType);
  return base !== null && INLINE_TYPES.has(base);
}

/** RFC 5987 attr-char: everything else is percent-encoded in `filename*`. */
const ATTR_CHAR = /[A-Za-z0-9!#$&+.^_`|~-]/;

function encodeExtValue(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && ATTR_CHAR.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** `inline` or `attachment`, with the filename as a quoted string when plain ASCII, else `filename*`. */
export function contentDisposition(contentType: string | null | undefined, filename: string | null | undefined): string {
  const disposition = isInlineType(contentType) ? "inline" : "attachment";
  // Control characters and path separators never belong in a name a browser saves.
  const name = (filename ?? "").replace(/[\u0000-\u001f\u007f/\\]/g, "").trim();
  if (name === "") return disposition;
  if (/^[\u0020-\u007e]*$/.test(name) && !/["%]/.test(name)) return `${disposition}; filename="${name}"`;
  return `${disposition}; filename*=utf-8''${encodeExtValue(name)}`;
}

/** The filename a Content-Disposition header carries (`filename*` preferred), or null. */
export function filenameFromDisposition(header: string | null | undefined): string | null {
  if (!header) return null;
  const ext = /(?:^|;)\s*filename\*\s*=\s*([^;]+)/i.exec(header);
  if (ext) {
    const m = /^([A-Za-z0-9_-]+)'[^']*'(.*)$/.exec(ext[1]!.trim());
    if (m && m[1]!.toLowerCase() === "utf-8") {
      try {
        return decodeURIComponent(m[2]!);
      } catch {
        // fall through to the plain parameter
      }
    }
  }
  const plain = /(?:^|;)\s*filename\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/i.exec(header);
  if (!plain) return null;
  const value = plain[1]!.trim();
  const name = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value;
  return name === "" ? null : name;
}
