import { describe, expect, test } from "bun:test";
import {
  isValidEventId,
  isValidUserLocalpart,
  parseRoomAlias,
  parseRoomId,
  parseServerName,
  parseUserId,
} from "../../src/core/ids.ts";
import { rulesFor } from "../../src/core/room-versions.ts";

describe("parseServerName", () => {
  test.each([
    ["matrix.org", "matrix.org", "dns", undefined],
    ["matrix.org:8888", "matrix.org", "dns", 8888],
    ["localhost", "localhost", "dns", undefined],
    ["MATRIX.ORG", "MATRIX.ORG", "dns", undefined],
    ["1.2.3.4", "1.2.3.4", "ipv4", undefined],
    ["1.2.3.4:1234", "1.2.3.4", "ipv4", 1234],
    ["[1234:5678::abcd]", "[1234:5678::abcd]", "ipv6", undefined],
    ["[1234:5678::abcd]:5678", "[1234:5678::abcd]", "ipv6", 5678],
    ["[::1]", "[::1]", "ipv6", undefined],
    ["[::]", "[::]", "ipv6", undefined],
    ["[1:2:3:4:5:6:7:8]", "[1:2:3:4:5:6:7:8]", "ipv6", undefined],
    ["[::ffff:192.168.0.1]:8448", "[::ffff:192.168.0.1]", "ipv6", 8448],
  ] as const)("accepts %s", (text, host, kind, port) => {
    expect(parseServerName(text)).toEqual({ serverName: text as never, host, kind, port });
  });

  test.each([
    "",
    ":8448",
    "matrix.org:",
    "matrix.org:123456",
    "matrix.org:80a",
    "matrix.org:80:80",
    "under_score.org",
    "spa ce.org",
    "ex\u00e4mple.org",
    "256.1.1.1",
    "1.2.3.4:99999x",
    "::1",
    "[::1",
    "[::1]x",
    "[1:2:3:4:5:6:7:8:9]",
    "[1::2::3]",
    "[12345::1]",
    "[g::1]",
    "[1.2.3.4]",
    "a".repeat(256),
  ])("rejects %p", (text) => {
    expect(parseServerName(text)).toBeNull();
  });
});

describe("user ids", () => {
  test("the strict localpart grammar of new accounts", () => {
    for (const ok of ["alice", "a.b_c=d-e/f+g", "0", "x".repeat(200)]) expect(isValidUserLocalpart(ok)).toBe(true);
    for (const bad of ["", "Alice", "a b", "a:b", "a@b", "é", "a#b", "a*"]) expect(isValidUserLocalpart(bad)).toBe(false);
  });

  test("parses with the historical grammar unless asked to be strict", () => {
    expect(parseUserId("@alice:example.org")).toEqual({
      userId: "@alice:example.org" as never,
      localpart: "alice",
      serverName: "example.org" as never,
    });
    expect(parseUserId("@bob:[::1]:8448")?.serverName).toBe("[::1]:8448" as never);
    // Historical localparts: upper case, punctuation, non-ASCII, even empty, must be accepted.
    for (const historical of ["@Alice:example.org", "@a b!:example.org", "@日本:example.org", "@:example.org"]) {
      expect(parseUserId(historical)).not.toBeNull();
      expect(parseUserId(historical, { strict: true })).toBeNull();
    }
  });

  test.each([
    "alice:example.org",
    "@alice",
    "@alice:",
    "@alice:bad_server",
    "@a\u0000b:example.org",
    "@a\ud800:example.org",
    `@${"a".repeat(243)}:example.org`, // 256 bytes
    `@${"é".repeat(122)}:example.org`, // 257 bytes in 135 characters
  ])("rejects %p", (text) => {
    expect(parseUserId(text)).toBeNull();
  });

  test("255 bytes is the limit, counted in UTF-8", () => {
    expect(parseUserId(`@${"a".repeat(242)}:example.org`)).not.toBeNull();
  });
});

describe("room ids, aliases and event ids", () => {
  test("room ids: `!opaque:domain` or, since v12, `!` + a url-safe hash", () => {
    expect(parseRoomId("!abc:example.org")).toEqual({
      roomId: "!abc:example.org" as never,
      hashed: false,
      serverName: "example.org" as never,
    });
    expect(parseRoomId("!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ")).toEqual({
      roomId: "!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ" as never,
      hashed: true,
    });
    for (const bad of ["abc:example.org", "!abc", "!Nhcu5BS+UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ", "!a\u0000:x.org", "!a:bad_host"]) {
      expect(parseRoomId(bad)).toBeNull();
    }
  });

  test("aliases: any localpart without a colon", () => {
    expect(parseRoomAlias("#Room Ü!:example.org")).toEqual({
      alias: "#Room Ü!:example.org" as never,
      localpart: "Room Ü!",
      serverName: "example.org" as never,
    });
    for (const bad of ["room:example.org", "#room", "#room:", `#${"a".repeat(243)}:example.org`]) {
      expect(parseRoomAlias(bad)).toBeNull();
    }
  });

  test("event ids take the shape the room version gives them", () => {
    const standard = "$aBcD+/eFgHiJkLmNoPqRsTuVwXyZ0123456789abcde";
    const urlSafe = "$aBcD-_eFgHiJkLmNoPqRsTuVwXyZ0123456789abcde";
    const [room1, room3, room4] = ["1", "3", "4"].map(rulesFor);
    expect(isValidEventId("$abc:example.org", room1)).toBe(true);
    expect(isValidEventId("$abc", room1)).toBe(false);
    expect(isValidEventId(standard, room3)).toBe(true);
    expect(isValidEventId(urlSafe, room3)).toBe(false);
    expect(isValidEventId(urlSafe, room4)).toBe(true);
    expect(isValidEventId(standard, room4)).toBe(false);
    expect(isValidEventId(urlSafe.slice(0, -1), room4)).toBe(false);
    for (const any of ["$x", standard, urlSafe, "$abc:example.org"]) expect(isValidEventId(any)).toBe(true);
    for (const bad of ["", "$", "abc", "!abc:x.org", "$" + "a".repeat(255), "$\ud800"]) expect(isValidEventId(bad)).toBe(false);
  });
});
