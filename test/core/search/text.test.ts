// Search text handling: CJK characters spaced for the index, search terms read into FTS5 queries
// (words as prefixes, quoted phrases, CJK words as phrases, punctuation dropped, quotes never
// reaching FTS5 syntax), and the words of a text that query tokens matched.
import { expect, test } from "bun:test";
import { foldToken, indexableText, matchedWords, parseSearchTerm } from "../../../src/core/search/text";

test("CJK characters become tokens of their own; other scripts are left as they are", () => {
  expect(indexableText("東京タワー")).toBe(" 東  京  タ  ワ ー");
  expect(indexableText("서울 hello")).toBe(" 서  울  hello");
  expect(indexableText("Crème brûlée")).toBe("Crème brûlée");
});

test("words match as prefixes, every one must match, and quoted phrases stay whole", () => {
  expect(parseSearchTerm("hello world")).toEqual({ match: '"hello" * AND "world" *', terms: ["hello", "world"], prefixes: ["hello", "world"] });
  expect(parseSearchTerm('"moved to" thursday')!.match).toBe('"moved to" AND "thursday" *');
});

test("a CJK word is a phrase of its characters, without a prefix", () => {
  expect(parseSearchTerm("東京")).toEqual({ match: '"東 京"', terms: ["東京"], prefixes: [] });
});

test("punctuation separates tokens and FTS5 syntax never gets through", () => {
  expect(parseSearchTerm('NEAR(a b) OR "x')!.match).toBe('"NEAR a" * AND "b" * AND "OR" * AND "x"');
  expect(parseSearchTerm('it\'s-me')!.match).toBe('"it s me" *');
  expect(parseSearchTerm("!!! ...")).toBeNull();
});

test("matched words are found by folded prefix", () => {
  expect(foldToken("Crème")).toBe("creme");
  expect(matchedWords("The Meeting and the meetup, not a meal", ["meet"])).toEqual(["Meeting", "meetup"]);
  expect(matchedWords("Crème brûlée", ["creme"])).toEqual(["Crème"]);
});
