import { describe, expect, test } from "bun:test";
import { canonicalJson } from "../../../src/core/json/canonical-json.ts";
import { JsonError, type JsonErrorCode } from "../../../src/core/json/json-error.ts";
import { parseJson } from "../../../src/core/json/parse-json.ts";
import { randomJson, seededRandom } from "../../helpers/random-json.ts";

function rejection(text: string): JsonError {
  try {
    parseJson(text);
  } catch (error) {
    expect(error).toBeInstanceOf(JsonError);
    return error as JsonError;
  }
  throw new Error(`accepted ${JSON.stringify(text)}`);
}

const nested = (levels: number) => "[".repeat(levels) + "]".repeat(levels);

describe("parseJson rejects JSON that Matrix forbids (bad-json)", () => {
  test.each<[string, string, number, RegExp]>([
    ["a float", "1.0", 0, /float/],
    ["a float in an array", "[1, 2.5]", 4, /float/],
    ["an exponent", "1e2", 0, /exponent/],
    ["an upper-case exponent", '{"a":1E2}', 5, /exponent/],
    ["a negative exponent", "[5e-1]", 1, /exponent/],
    ["-0", "-0", 0, /-0/],
    ["-0 in an object", '{"x": -0}', 6, /-0/],
    ["2^53", "9007199254740992", 0, /integer/],
    ["-(2^53)", "[-9007199254740992]", 1, /integer/],
    ["2^53+1 (which JSON.parse rounds)", "9007199254740993", 0, /integer/],
    ["a 20-digit integer", '{"depth":12345678901234567890}', 9, /integer/],
    ["an escaped lone high surrogate", '"\\ud800"', 1, /high surrogate/],
    ["an escaped lone low surrogate", '["\\uDC00"]', 2, /low surrogate/],
    ["a high surrogate before a non-surrogate escape", '"\\ud800\\u0041"', 1, /high surrogate/],
    ["a high surrogate before a plain character", '"\\ud83dx"', 1, /high surrogate/],
    ["reversed escaped surrogates", '"\\ude00\\ud83d"', 1, /low surrogate/],
    ["a raw lone high surrogate", '{"a":"x\ud800"}', 7, /surrogate/],
    ["a raw lone low surrogate", '"\udc00"', 1, /surrogate/],
    ["a duplicate key", '{"a":1,"a":2}', 7, /duplicate key "a"/],
    ["a duplicate key spelled with an escape", '{"a":1,"\\u0061":2}', 7, /duplicate key "a"/],
    ["a duplicate key inside a value that a later duplicate drops", '{"k":{"a":1,"a":1},"k":0}', 12, /duplicate key "a"/],
    ["a duplicate key whose first value was an object", '{"k":{"a":1},"k":0}', 13, /duplicate key "k"/],
    ["a duplicate key in a nested object", '[{"x":{"b":[],"c":1,"b":{}}}]', 20, /duplicate key "b"/],
    ["a duplicate __proto__ key", '{"__proto__":1,"__proto__":2}', 15, /duplicate key "__proto__"/],
    ["nesting of 129 levels", nested(129), 128, /nesting/],
  ])("%s", (_, text, position, message) => {
    const error = rejection(text);
    expect(error.code).toBe("bad-json" satisfies JsonErrorCode);
    expect(error.position).toBe(position);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`position ${position}`);
  });
});

describe("parseJson rejects text that is not JSON (not-json)", () => {
  test.each([
    ["empty text", ""],
    ["trailing garbage", '{"a":1} x'],
    ["a second value", "{}{}"],
    ["an extra closing brace", '{"a":1}}'],
    ["NaN", "NaN"],
    ["Infinity", "[Infinity]"],
    ["single quotes", "{'a':1}"],
    ["a trailing comma", "[1,]"],
    ["an unquoted key", "{a:1}"],
    ["a leading zero", "[01]"],
    ["a bare minus", "[-]"],
    ["an unterminated string", '"abc'],
    ["a raw newline in a string", '"a\nb"'],
    ["a bad escape", '"\\x41"'],
    ["a short unicode escape", '"\\u12"'],
    ["a byte order mark", "\ufeff{}"],
    ["a float that is also broken JSON", "[1.5"],
    ["an exponent that is also broken JSON", '{"a":1e5'],
    ["comments", "{} // hi"],
  ])("%s", (_, text) => {
    expect(rejection(text).code).toBe("not-json");
  });
});

describe("parseJson accepts valid JSON exactly as JSON.parse does", () => {
  test.each([
    ["the integer bounds", "[9007199254740991,-9007199254740991,0,-1,123456789012345]"],
    ["number-like strings", '{"a":"1.0","b":"-0","c":"1e5","d":"9007199254740993"}'],
    ["structure inside strings", '{"{[:,\\"":"]}\\\\","x":"\\"\\\\\\"","k:1":"a:b"}'],
    ["a surrogate pair escape", '{"e":"\\ud83d\\ude00","f":"\\uD834\\uDD1E"}'],
    ["raw astral characters", '{"😀":"𝄞","日本":"語"}'],
    ["other escapes", '"\\b\\f\\n\\r\\t\\/\\u0000\\u001F\\u00e9"'],
    ["whitespace everywhere", ' \t\n\r{ "a" : [ 1 , 2 ] , "b" : { } }\n '],
    ["literals", "[true,false,null]"],
    ["top-level scalars", '"just a string"'],
    ["nesting of exactly 128 levels", nested(128)],
    ["keys equal except for case and escapes", '{"a":1,"A":2,"\\u00e9":3,"é\\u0301":4}'],
    ["the same key in sibling objects", '[{"a":1},{"a":2},{"b":{"a":3}}]'],
    ["integer-like keys", '{"b":{"x":1},"1":{"y":1},"0":[]}'],
  ])("%s", (_, text) => {
    expect(parseJson(text)).toEqual(JSON.parse(text));
  });

  test("keeps __proto__ as an own data property, never as the prototype", () => {
    const text = '{"__proto__":{"polluted":true},"b":[{"__proto__":null}]}';
    const value = parseJson(text) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(canonicalJson(value)).toBe('{"__proto__":{"polluted":true},"b":[{"__proto__":null}]}');
  });

  test("random values, compact and indented, parse like JSON.parse and re-encode byte-exactly", () => {
    const random = seededRandom(424242);
    for (let i = 0; i < 3000; i++) {
      const value = randomJson(random, 5);
      for (const text of [JSON.stringify(value), JSON.stringify(value, null, i % 4)]) {
        const parsed = parseJson(text);
        expect(parsed).toEqual(JSON.parse(text));
        expect(canonicalJson(parsed)).toBe(canonicalJson(value));
      }
    }
  });

  test("random values with a float or a duplicate key spliced in are rejected as bad-json", () => {
    const random = seededRandom(777);
    for (let i = 0; i < 500; i++) {
      const inner = JSON.stringify(randomJson(random, 3));
      expect(rejection(`{"k":${inner},"z":[${inner},1.5]}`).code).toBe("bad-json");
      expect(rejection(`[{"k":${inner},"k":${inner}}]`).code).toBe("bad-json");
    }
  });
});

describe("parseJson with numbers: any (client bodies that are not events)", () => {
  for (const text of ['{"order":0.25}', "[1e2,-0,9007199254740993,-1.5E-3]", '{"a":[1.0,{"b":2e+5}]}']) {
    test(`${text} parses as JSON.parse does`, () => {
      expect(parseJson(text, { numbers: "any" })).toEqual(JSON.parse(text));
    });
  }

  test("still refuses duplicate keys and lone surrogates", () => {
    expect(() => parseJson('{"a":1.5,"a":2}', { numbers: "any" })).toThrow(/duplicate/);
    expect(() => parseJson('{"a":"\\ud800"}', { numbers: "any" })).toThrow(/surrogate/);
  });

  test("malformed numbers are still not JSON", () => {
    expect(() => parseJson("[1.]", { numbers: "any" })).toThrow(/not valid JSON/);
    expect(() => parseJson("[01]", { numbers: "any" })).toThrow();
  });
});
