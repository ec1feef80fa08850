/**
 * Canonical JSON (spec appendix "Canonical JSON"): the exact bytes that get hashed and signed.
 * Object keys sorted by Unicode code point, no insignificant whitespace, strings raw UTF-8 except
 * the mandatory escapes, integers only in [-(2^53)+1, (2^53)-1]. Anything else throws a
 * `JsonError` with code `unencodable`: we never emit JSON that another server would hash
 * differently. `-0` is written as `0`, as the spec's own example does (the strict parser refuses
 * `-0` on input, so it only reaches here from values our code built).
 */

import { JsonError, MAX_JSON_DEPTH } from "./json-error.ts";

export function canonicalJson(value: unknown): string {
  return encodeValue(value, 0);
}

function encodeValue(value: unknown, depth: number): string {
  switch (typeof value) {
    case "string":
      return encodeString(value);
    case "number":
      if (Number.isSafeInteger(value)) return value === 0 ? "0" : String(value);
      throw new JsonError("unencodable", `canonical JSON allows only integers in ±(2^53-1), got ${value}`);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (value === null) return "null";
      if (depth >= MAX_JSON_DEPTH) throw new JsonError("unencodable", `nesting deeper than ${MAX_JSON_DEPTH}`);
      return Array.isArray(value) ? encodeArray(value, depth + 1) : encodeObject(value, depth + 1);
    default:
      throw new JsonError("unencodable", `canonical JSON cannot carry a ${typeof value}`);
  }
}

function encodeArray(array: unknown[], depth: number): string {
  const length = array.length;
  if (length === 0) return "[]";
  let out = "[" + encodeValue(array[0], depth);
  for (let i = 1; i < length; i++) out += "," + encodeValue(array[i], depth);
  return out + "]";
}

function encodeObject(object: object, depth: number): string {
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    throw new JsonError("unencodable", `canonical JSON cannot carry a ${proto?.constructor?.name ?? "exotic"} object`);
  }
  const keys = sortKeys(Object.keys(object));
  const length = keys.length;
  if (length === 0) return "{}";
  const record = object as Record<string, unknown>;
  let out = "{";
  for (let i = 0; i < length; i++) {
    const key = keys[i]!;
    if (i > 0) out += ",";
    out += encodeString(key) + ":" + encodeValue(record[key], depth);
  }
  return out + "}";
}

/** Characters that need work: `"`, `\`, controls (escaped) and surrogates (must be paired). */
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;

function encodeString(s: string): string {
  if (!NEEDS_CARE.test(s)) return '"' + s + '"';
  // A lone surrogate has no UTF-8 form; JSON.stringify would write `\udXXX`, which is not canonical.
  if (!s.isWellFormed()) throw new JsonError("unencodable", "string holds a lone UTF-16 surrogate");
  // For well-formed strings JSON.stringify escapes exactly what the canonical grammar requires:
  // `"`, `\`, \b \f \n \r \t, other controls as lowercase \u00XX, everything else raw.
  return JSON.stringify(s);
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * Sorts by code point. The default sort compares UTF-16 code units, which differs only when a
 * surrogate (astral character) meets a character in U+E000-U+FFFF; keys without surrogates keep
 * the fast native sort.
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length < 2) return keys;
  keys.sort();
  for (const key of keys) {
    if (SURROGATE.test(key)) return keys.sort(compareCodePoints);
  }
  return keys;
}

function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
