/**
 * Seeded generators of random JSON values for property tests: strings mix ASCII, controls,
 * quotes, backslashes, non-ASCII, astral characters and U+E000-U+FFFF (where UTF-16 order and code
 * point order disagree); numbers are integers up to the canonical JSON bounds.
 */

import type { JsonValue } from "../../src/core/types.ts";

/** mulberry32: small, fast, reproducible from one seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "a", "b", "z", "A", "0", "_", " ", "\"", "\\", "/", "\n", "\t", "\u0000", "\u0001", "\u001f", "\u007f",
  "é", "日", "本", "\u2028", "\ue000", "\uffff", "\ufffd", "😀", "𝄞", "\u{10ffff}", "__proto__", "constructor",
];

export function randomString(random: () => number, maxPieces = 6): string {
  let s = "";
  const pieces = Math.floor(random() * (maxPieces + 1));
  for (let i = 0; i < pieces; i++) s += PIECES[Math.floor(random() * PIECES.length)];
  return s;
}

export function randomInteger(random: () => number): number {
  const kind = random();
  if (kind < 0.1) return random() < 0.5 ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
  if (kind < 0.5) return Math.floor(random() * 200) - 100;
  return Math.floor((random() * 2 - 1) * Number.MAX_SAFE_INTEGER);
}

export function randomJson(random: () => number, depth = 4): JsonValue {
  const kind = Math.floor(random() * (depth > 0 ? 7 : 5));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return randomInteger(random);
    case 3:
    case 4:
      return randomString(random);
    case 5: {
      const array: JsonValue[] = [];
      const length = Math.floor(random() * 5);
      for (let i = 0; i < length; i++) array.push(randomJson(random, depth - 1));
      return array;
    }
    default: {
      const object: Record<string, JsonValue> = {};
      const length = Math.floor(random() * 6);
      // defineProperty: a random "__proto__" key must become plain data, as JSON.parse makes it.
      for (let i = 0; i < length; i++) {
        Object.defineProperty(object, randomString(random, 3), {
          value: randomJson(random, depth - 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return object;
    }
  }
}
