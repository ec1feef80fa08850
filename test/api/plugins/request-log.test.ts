// The request log cuts the path out of the URL string itself (no URL parsing on the hot path):
// it must agree with URL's pathname and never include the query string.
import { expect, test } from "bun:test";
import { pathOf } from "../../../src/api/plugins/request-log";

test("pathOf agrees with URL.pathname and drops the query", () => {
  const urls = [
    "http://127.0.0.1:6167/_matrix/client/versions",
    "http://localhost/_matrix/client/v3/sync?since=s1&access_token=secret",
    "https://[::1]:8448/_matrix/federation/v1/send/txn%2F1?x=1",
    "http://example.org/",
    "http://example.org/a/b#fragment",
    "http://example.org/a?b=/c",
  ];
  for (const url of urls) {
    expect(pathOf(url)).toBe(new URL(url).pathname);
    expect(pathOf(url)).not.toContain("?");
  }
});
