// Federation media answers: what we frame parses back; content parts, Location parts, quoted
// boundaries and bodies that contain boundary-like bytes; malformed answers are null.
import { expect, test } from "bun:test";
import { federationMediaFrame, multipartBoundary, parseFederationMedia } from "../../../src/core/media/multipart";

const enc = new TextEncoder();
const join = (...parts: Uint8Array[]) => new Uint8Array(parts.flatMap((p) => [...p]));

test("an answer we frame is read back: metadata, type, disposition and exact bytes", () => {
  const bytes = enc.encode("--almost a boundary\r\n\r\nbinary\u0000data\r\n--");
  const frame = federationMediaFrame("b0und4ry", { "Content-Type": "image/png", "Content-Disposition": 'inline; filename="a.png"' });
  expect(frame.contentType).toBe("multipart/mixed; boundary=b0und4ry");
  const answer = parseFederationMedia(frame.contentType, join(frame.head, bytes, frame.tail));
  expect(answer).toEqual({ kind: "content", metadata: {}, contentType: "image/png", contentDisposition: 'inline; filename="a.png"', body: bytes });
});

test("a Location part, a quoted boundary, and a preamble are understood", () => {
  const text = 'preamble\r\n--"x"\r\n'.replace('"x"', "xyz") + "Content-Type: application/json\r\n\r\n{}\r\n--xyz\r\nLocation: https://cdn.example/abc\r\n\r\n\r\n--xyz--\r\n";
  expect(parseFederationMedia('multipart/mixed; boundary="xyz"', enc.encode(text))).toEqual({ kind: "location", metadata: {}, location: "https://cdn.example/abc" });
  expect(multipartBoundary("multipart/mixed;boundary=abc; charset=x")).toBe("abc");
});

test("not multipart, no closing delimiter, bad metadata or one part only: null", () => {
  expect(parseFederationMedia("image/png", enc.encode("x"))).toBeNull();
  expect(parseFederationMedia("multipart/mixed; boundary=b", enc.encode("--b\r\n\r\n{}\r\n--b\r\nContent-Type: x\r\n\r\nabc"))).toBeNull();
  expect(parseFederationMedia("multipart/mixed; boundary=b", enc.encode("--b\r\n\r\nnot json\r\n--b\r\n\r\nabc\r\n--b--"))).toBeNull();
  expect(parseFederationMedia("multipart/mixed; boundary=b", enc.encode("--b\r\n\r\n{}\r\n--b--"))).toBeNull();
  expect(multipartBoundary("multipart/form-data; boundary=b")).toBeNull();
});
