/**
 * Strict JSON parsing for every body that comes from a client or another server. `JSON.parse`
 * quietly accepts what Matrix forbids (`1.0`, `1e2`, `-0`, integers past 2^53, lone surrogates,
 * duplicate keys), and a server that re-canonicalises such input hashes differently from Synapse.
 * So a single scan over the raw text checks the tokens JSON.parse cannot tell us about, then the
 * native parser builds the value. Valid input yields exactly what `JSON.parse` yields (`__proto__`
 * stays an own data property, as JSON.parse defines it).
 */

import type { JsonValue } from "../types.ts";
import { JsonError, MAX_JSON_DEPTH, NonCanonicalNumberError } from "./json-error.ts";
import { errorMessage } from "../error-message.ts";

export interface ParseOptions {
  /**
   * `canonical` (default): numbers must be integers canonical JSON can carry, as in every PDU.
   * `any`: any JSON number, for client bodies that are not events (a tag's `order` is a float);
   * events built from such bodies are still refused when canonical JSON cannot encode them.
   */
  numbers?: "canonical" | "any";
}

/**
 * Parses `text`, throwing a `JsonError`: `not-json` when it is not JSON at all, `bad-json` when it
 * is JSON that Matrix forbids (message names the problem and its character offset).
 */
export function parseJson(text: string, opts: ParseOptions = {}): JsonValue {
  const canonicalNumbers = opts.numbers !== "any";
  let members: number;
  try {
    members = scanTokens(text, false, canonicalNumbers);
  } catch (error) {
    // The scan assumes JSON syntax: text that is not JSON at all is reported as such (throws).
    parseNative(text);
    throw error;
  }
  const value = parseNative(text);
  // Duplicate keys collapse in JSON.parse, so fewer members survive than the text holds.
  if (members > 0 && countMembers(value) !== members) {
    scanTokens(text, true, canonicalNumbers); // throws, naming the duplicate and where it is
    throw new JsonError("bad-json", "duplicate key");
  }
  return value;
}

function parseNative(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new JsonError("not-json", `not valid JSON (${errorMessage(error)})`);
  }
}

function countMembers(value: JsonValue): number {
  if (typeof value !== "object" || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countMembers(item);
    return count;
  }
  const keys = Object.keys(value);
  count += keys.length;
  for (const key of keys) count += countMembers(value[key]!);
  return count;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const LOWER_U = 0x75;
/** 16 digits or more may leave the safe-integer range. */
const SAFE_DIGITS = 15;

/**
 * Walks the text once, skipping string bodies with native `indexOf`, and throws `bad-json` on a
 * forbidden token. Returns the number of object members in the text. With `findDuplicates` it also
 * decodes every key to name the first duplicate (only run once a duplicate is known to exist).
 */
function scanTokens(text: string, findDuplicates: boolean, canonicalNumbers: boolean): number {
  if (!text.isWellFormed()) {
    throw new JsonError("bad-json", "lone UTF-16 surrogate", firstLoneSurrogate(text));
  }
  const length = text.length;
  const keyStack: Set<string>[] = [];
  let depth = 0;
  let members = 0;
  // Positions of the next `"` and `\` at or after the cursor: -1 once none is left, -2 before the
  // first search.
  let nextQuote = -2;
  let nextBackslash = -2;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      i++;
      // Skip the string body; `nextQuote`/`nextBackslash` stay valid while we move forward.
      for (;;) {
        if (nextQuote !== -1 && nextQuote < i) nextQuote = text.indexOf('"', i);
        if (nextQuote === -1) return members; // unterminated: JSON.parse reports it
        if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = text.indexOf("\\", i);
        if (nextBackslash === -1 || nextBackslash > nextQuote) break;
        i = skipEscape(text, nextBackslash);
      }
      i = nextQuote + 1;
      if (findDuplicates && keyStack.length > 0 && nextSignificant(text, i) === COLON) {
        const key = JSON.parse(text.slice(start, i)) as string;
        const keys = keyStack[keyStack.length - 1]!;
        if (keys.has(key)) throw new JsonError("bad-json", `duplicate key ${JSON.stringify(key)}`, start);
        keys.add(key);
      }
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      i = canonicalNumbers ? checkNumber(text, i) : skipNumber(text, i);
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) throw new JsonError("bad-json", `nesting deeper than ${MAX_JSON_DEPTH}`, i);
      if (findDuplicates) keyStack.push(new Set());
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (findDuplicates) keyStack.pop();
      i++;
    } else {
      if (c === COLON) members++;
      i++;
    }
  }
  return members;
}

/** Checks the escape at `at` (a backslash); returns the index after it. */
function skipEscape(text: string, at: number): number {
  if (text.charCodeAt(at + 1) !== LOWER_U) return at + 2;
  const unit = hex4(text, at + 2);
  if (unit >= 0xdc00 && unit <= 0xdfff) {
    throw new JsonError("bad-json", "escaped low surrogate without a high surrogate", at);
  }
  if (unit >= 0xd800 && unit <= 0xdbff) {
    // Must be followed by an escaped low surrogate: a raw one would be a lone surrogate in the text.
    const low = text.charCodeAt(at + 6) === BACKSLASH && text.charCodeAt(at + 7) === LOWER_U ? hex4(text, at + 8) : -1;
    if (low < 0xdc00 || low > 0xdfff) {
      throw new JsonError("bad-json", "escaped high surrogate without a low surrogate", at);
    }
    return at + 12;
  }
  return at + 6;
}

/** The value of 4 hex digits at `at`, or -1 when they are not hex (JSON.parse rejects those). */
function hex4(text: string, at: number): number {
  const digits = text.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(digits) ? parseInt(digits, 16) : -1;
}

/** Checks the number token at `start`; returns the index after its digits. */
function checkNumber(text: string, start: number): number {
  let i = start;
  if (text.charCodeAt(i) === MINUS) i++;
  const firstDigit = i;
  let c = text.charCodeAt(i);
  while (c >= ZERO && c <= NINE) c = text.charCodeAt(++i);
  if (c === 0x2e) throw new NonCanonicalNumberError("floats are not allowed (integers only)", start);
  if (c === 0x65 || c === 0x45) throw new NonCanonicalNumberError("exponents are not allowed (integers only)", start);
  const digits = i - firstDigit;
  if (digits === 1 && firstDigit > start && text.charCodeAt(firstDigit) === ZERO) {
    throw new NonCanonicalNumberError("-0 is not allowed", start);
  }
  if (digits > SAFE_DIGITS && !Number.isSafeInteger(Number(text.slice(start, i)))) {
    throw new NonCanonicalNumberError("integer outside [-(2^53)+1, (2^53)-1]", start);
  }
  return i;
}

/** Skips the number token at `start` without judging it; returns the index after it. */
function skipNumber(text: string, start: number): number {
  let i = start + 1;
  let c = text.charCodeAt(i);
  // Digits, sign, fraction and exponent characters: JSON.parse judges the syntax.
  while ((c >= ZERO && c <= NINE) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === MINUS) c = text.charCodeAt(++i);
  return i;
}

function nextSignificant(text: string, from: number): number {
  let i = from;
  let c = text.charCodeAt(i);
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++i);
  return c;
}

function firstLoneSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return i;
    } else if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}
