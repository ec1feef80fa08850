// Media ids and mxc URIs: only [A-Za-z0-9_-], so no id can walk out of a path or end a header.
import { expect, test } from "bun:test";
import { isValidMediaId, mxcUri, parseMxcUri } from "../../../src/core/media/media-ids";

test("media ids are [A-Za-z0-9_-], at most 255 characters", () => {
  for (const id of ["abc", "A-b_9", "x".repeat(255)]) expect(isValidMediaId(id)).toBe(true);
  for (const id of ["", "..", "a/b", "a\u0000", "a.b", "a%2Fb", "a b", "é", "x".repeat(256), "a\\b"]) {
    expect(isValidMediaId(id)).toBe(false);
  }
});

test("mxc URIs parse into server name and media id, and are built back", () => {
  expect(parseMxcUri("mxc://example.org/abc123")).toMatchObject({ serverName: "example.org", mediaId: "abc123" });
  expect(parseMxcUri("mxc://[::1]:8448/abc")).toMatchObject({ serverName: "[::1]:8448", mediaId: "abc" });
  for (const bad of ["mxc://example.org/", "mxc:///abc", "mxc://example.org/a/b", "http://example.org/abc", "mxc://exa mple.org/abc", "mxc://example.org/../x"]) {
    expect(parseMxcUri(bad)).toBeNull();
  }
  expect(mxcUri("example.org", "abc")).toBe("mxc://example.org/abc");
});
