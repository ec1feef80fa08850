// Download headers: only harmless types are inline, names are encoded per RFC 6266 / 8187 and can
// inject nothing, stored types are sanitised, and filenames read back from remote headers.
import { expect, test } from "bun:test";
import {
  contentDisposition,
  filenameFromDisposition,
  isInlineType,
  servedContentType,
} from "../../../src/core/media/content-disposition";

test("pictures, audio, video and plain text are inline; HTML, SVG, XML and unknown types are attachments", () => {
  for (const t of ["image/png", "IMAGE/JPEG", "image/webp; q=1", "video/mp4", "audio/ogg", "text/plain; charset=utf-8"]) {
    expect(isInlineType(t)).toBe(true);
  }
  for (const t of ["text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/javascript", "application/octet-stream", "", null, "garbage"]) {
    expect(isInlineType(t)).toBe(false);
  }
});

test("filenames: plain ASCII quoted, anything else as UTF-8 filename*, control characters and slashes dropped", () => {
  expect(contentDisposition("image/png", "cat.png")).toBe('inline; filename="cat.png"');
  expect(contentDisposition("text/html", "page.html")).toBe('attachment; filename="page.html"');
  expect(contentDisposition("image/png", null)).toBe("inline");
  expect(contentDisposition("image/png", "chat noir été.png")).toBe("inline; filename*=utf-8''chat%20noir%20%C3%A9t%C3%A9.png");
  expect(contentDisposition("image/png", 'a"b.png')).toBe("inline; filename*=utf-8''a%22b.png");
  expect(contentDisposition("image/png", "100%.png")).toBe("inline; filename*=utf-8''100%25.png");
  expect(contentDisposition("image/png", "x\r\nSet-Cookie: a=b")).toBe('inline; filename="xSet-Cookie: a=b"');
  expect(contentDisposition("image/png", "../../etc/passwd")).toBe('inline; filename="....etcpasswd"');
  expect(contentDisposition("image/png", "\u0000")).toBe("inline");
});

test("served types: valid ones as stored, text gets a charset, anything unreadable is octet-stream", () => {
  expect(servedContentType("image/png")).toBe("image/png");
  expect(servedContentType("text/plain")).toBe("text/plain; charset=utf-8");
  expect(servedContentType("text/plain; charset=latin1")).toBe("text/plain; charset=latin1");
  expect(servedContentType(null)).toBe("application/octet-stream");
  expect(servedContentType("not a type")).toBe("application/octet-stream");
  expect(servedContentType("image/png\r\nX-Evil: 1")).toBe("application/octet-stream");
});

test("filenames from remote Content-Disposition headers, filename* first", () => {
  expect(filenameFromDisposition('inline; filename="cat.png"')).toBe("cat.png");
  expect(filenameFromDisposition("attachment; filename=cat.png")).toBe("cat.png");
  expect(filenameFromDisposition("inline; filename*=utf-8''%C3%A9t%C3%A9.png; filename=\"ete.png\"")).toBe("été.png");
  expect(filenameFromDisposition('inline; filename="a\\"b"')).toBe('a"b');
  expect(filenameFromDisposition("inline; filename*=utf-8''%E0%A4%A")).toBeNull();
  expect(filenameFromDisposition("inline")).toBeNull();
  expect(filenameFromDisposition(null)).toBeNull();
});
