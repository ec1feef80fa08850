import { describe, expect, test } from "bun:test";
import vectors from "../../fixtures/spec-test-vectors.json";
import { canonicalJson } from "../../../src/core/json/canonical-json.ts";
import { JsonError } from "../../../src/core/json/json-error.ts";
import { randomJson, seededRandom } from "../../helpers/random-json.ts";

function expectUnencodable(value: unknown): void {
  let caught: unknown;
  try {
    canonicalJson(value);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(JsonError);
  expect((caught as JsonError).code).toBe("unencodable");
}

/** An independent encoder: keys ordered by comparing their UTF-8 bytes, as the spec defines. */
function oracle(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(oracle).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${oracle((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

describe("canonicalJson", () => {
  test.each(vectors.canonical_json.map((v) => [v.expected_canonical, v] as const))("spec vector %s", (_, vector) => {
    expect(canonicalJson(vector.input)).toBe(vector.expected_canonical);
    // The input text holds `-0` and `1e10`: JSON.parse gives -0 and 10000000000, written as 0 and digits.
    expect(canonicalJson(JSON.parse(vector.input_text))).toBe(vector.expected_canonical);
  });

  test("escapes only quote, backslash and controls, with the short forms where they exist", () => {
    const short: Record<number, string> = { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r" };
    for (let code = 0; code < 0x20; code++) {
      const expected = short[code] ?? `\\u00${code.toString(16).padStart(2, "0")}`;
      expect(canonicalJson(String.fromCharCode(code))).toBe(`"${expected}"`);
    }
    expect(canonicalJson('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(canonicalJson("\u001f")).toBe('"\\u001f"'); // lowercase hex
    // Everything else stays raw: slash, DEL, line separators, non-ASCII, astral.
    const raw = "/\u007f\u2028\u2029é日本語😀\uffff\u{10ffff}";
    expect(canonicalJson(raw)).toBe(`"${raw}"`);
  });

  test("sorts keys by code point, not by UTF-16 code unit", () => {
    // UTF-16 puts the surrogate of 😀 (0xD83D) before U+FFFF; code points put U+FFFF (65535) first.
    expect(canonicalJson({ "😀": 2, "\uffff": 1 })).toBe('{"\uffff":1,"😀":2}');
    expect(canonicalJson({ "\u{10000}": 2, "\ue000": 1, a: 0 })).toBe('{"a":0,"\ue000":1,"\u{10000}":2}');
    expect(canonicalJson({ ab: 2, a: 1, b: 3, B: 0, "": -1 })).toBe('{"":-1,"B":0,"a":1,"ab":2,"b":3}');
    expect(canonicalJson({ 本: 2, 日: 1, "2": 4, "10": 3 })).toBe('{"10":3,"2":4,"日":1,"本":2}');
  });

  test("nests arrays and objects without whitespace", () => {
    expect(canonicalJson([[], {}, [[1, [2, { b: [3], a: null }]]], true, false])).toBe(
      '[[],{},[[1,[2,{"a":null,"b":[3]}]]],true,false]',
    );
  });

  test("writes -0 as 0 and accepts the integer bounds", () => {
    expect(canonicalJson(-0)).toBe("0");
    expect(canonicalJson([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER])).toBe(
      "[9007199254740991,-9007199254740991]",
    );
  });

  test("keeps a __proto__ key as data and accepts null-prototype objects", () => {
    const parsed = JSON.parse('{"b":1,"__proto__":{"x":[1]}}');
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"x":[1]},"b":1}');
    const bare = Object.create(null) as Record<string, number>;
    bare.k = 1;
    expect(canonicalJson(bare)).toBe('{"k":1}');
  });

  test.each([
    ["a float", 1.5],
    ["2^53", 2 ** 53],
    ["-(2^53)", -(2 ** 53)],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["undefined", undefined],
    ["undefined in an object", { a: undefined }],
    ["undefined in an array", [1, undefined]],
    ["a function", () => 1],
    ["a symbol", Symbol("s")],
    ["a bigint", 1n],
    ["a Date", new Date(0)],
    ["a Map", new Map()],
    ["a class instance", new (class Thing {})()],
    ["a Uint8Array", new Uint8Array(2)],
    ["a lone high surrogate", "a\ud800"],
    ["a lone low surrogate", "\udc00b"],
    ["reversed surrogates", "\udc00\ud800"],
    ["a lone surrogate in a key", { "\ud800": 1 }],
    ["a float deep inside", { a: [{ b: 0.1 }] }],
  ])("rejects %s", (_, value) => expectUnencodable(value));

  test("rejects nesting deeper than 128 levels and accepts 128", () => {
    const nest = (levels: number): unknown => (levels === 0 ? 1 : [nest(levels - 1)]);
    expect(canonicalJson(nest(128))).toBe("[".repeat(128) + "1" + "]".repeat(128));
    expectUnencodable(nest(129));
    expectUnencodable({ a: nest(128) });
  });

  test("matches an independent UTF-8-byte-order encoder on random values", () => {
    const random = seededRandom(20260101);
    for (let i = 0; i < 3000; i++) {
      const value = randomJson(random);
      const encoded = canonicalJson(value);
      expect(encoded).toBe(oracle(value));
      expect(JSON.parse(encoded)).toEqual(value);
    }
  });
});
