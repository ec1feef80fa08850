import { describe, expect, test } from "bun:test";
import {
  Base64Error,
  decodeBase64,
  decodeBase64Url,
  encodeBase64,
  encodeBase64Url,
} from "../../../src/core/encoding/base64.ts";
import { seededRandom } from "../../helpers/random-json.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("unpadded base64", () => {
  test.each([
    ["", ""],
    ["f", "Zg"],
    ["fo", "Zm8"],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg"],
    ["fooba", "Zm9vYmE"],
    ["foobar", "Zm9vYmFy"],
  ])("spec example %p -> %p", (plain, encoded) => {
    expect(encodeBase64(utf8(plain))).toBe(encoded);
    expect(decodeBase64(encoded)).toEqual(utf8(plain));
  });

  test("decodes padded input too", () => {
    expect(decodeBase64("Zg==")).toEqual(utf8("f"));
    expect(decodeBase64("Zm8=")).toEqual(utf8("fo"));
    expect(decodeBase64Url("_-8=")).toEqual(Uint8Array.from([0xff, 0xef]));
  });

  test("the two alphabets differ only in characters 62 and 63", () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf]);
    expect(encodeBase64(bytes)).toBe("+/+/");
    expect(encodeBase64Url(bytes)).toBe("-_-_");
    expect(decodeBase64Url("-_-_")).toEqual(bytes);
  });

  test.each([
    ["whitespace", "Zm9 v", decodeBase64],
    ["a newline", "Zm9v\n", decodeBase64],
    ["url-safe characters in standard input", "-_-_", decodeBase64],
    ["standard characters in url-safe input", "+/+/", decodeBase64Url],
    ["a lone trailing character", "Zm9vY", decodeBase64],
    ["too much padding", "Zg===", decodeBase64],
    ["padding in the middle", "Zg==Zg", decodeBase64],
    ["padding that does not fit", "Zm9v=", decodeBase64],
    ["non-ASCII", "Zm9vé", decodeBase64],
  ])("rejects %s", (_, text, decode) => {
    expect(() => decode(text)).toThrow(Base64Error);
  });

  test("round-trips random bytes and agrees with Buffer's encoder", () => {
    const random = seededRandom(99);
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 70) }, () => Math.floor(random() * 256));
      const standard = encodeBase64(bytes);
      expect(standard).toBe(Buffer.from(bytes).toString("base64").replace(/=+$/, ""));
      expect(encodeBase64Url(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
      expect(decodeBase64(standard)).toEqual(bytes);
      expect(decodeBase64Url(encodeBase64Url(bytes))).toEqual(bytes);
    }
  });
});
