// Range headers: one range of any of the three forms; past the end is unsatisfiable; anything
// else (several ranges, other units, garbage) is answered with the whole content.
import { expect, test } from "bun:test";
import { parseByteRange } from "../../../src/core/media/byte-range";

test("the three forms of one byte range", () => {
  expect(parseByteRange("bytes=0-9", 100)).toEqual({ kind: "part", start: 0, end: 9 });
  expect(parseByteRange("bytes=90-", 100)).toEqual({ kind: "part", start: 90, end: 99 });
  expect(parseByteRange("bytes=-10", 100)).toEqual({ kind: "part", start: 90, end: 99 });
  expect(parseByteRange("bytes=-500", 100)).toEqual({ kind: "part", start: 0, end: 99 });
  expect(parseByteRange("bytes=50-5000", 100)).toEqual({ kind: "part", start: 50, end: 99 });
});

test("past the end, reversed, or empty suffix: unsatisfiable", () => {
  expect(parseByteRange("bytes=100-", 100)).toEqual({ kind: "unsatisfiable" });
  expect(parseByteRange("bytes=9-3", 100)).toEqual({ kind: "unsatisfiable" });
  expect(parseByteRange("bytes=-0", 100)).toEqual({ kind: "unsatisfiable" });
  expect(parseByteRange("bytes=0-", 0)).toEqual({ kind: "unsatisfiable" });
});

test("no header, several ranges, other units or garbage: the whole content", () => {
  for (const h of [null, "", "bytes=0-1,5-6", "items=0-1", "bytes=-", "bytes=a-b"]) expect(parseByteRange(h, 100)).toEqual({ kind: "whole" });
});
