// Glob matching of push rules: the spec's examples, word boundaries, case folding, and patterns
// built to make a backtracking matcher take exponential time.
import { describe, expect, test } from "bun:test";
import { compileGlob } from "../../../src/core";

const whole = (pattern: string) => compileGlob(pattern, { words: false });
const words = (pattern: string) => compileGlob(pattern, { words: true });

describe("whole-value matching (event_match)", () => {
  test("the spec's `lunc?*` example", () => {
    const m = whole("lunc?*");
    expect(m("Lunch plans")).toBe(true);
    expect(m("LUNCH")).toBe(true);
    expect(m(" lunch")).toBe(false);
    expect(m("lunc")).toBe(false);
  });

  test("without wildcards the whole value must be equal, ignoring case", () => {
    expect(whole("m.room.message")("m.room.message")).toBe(true);
    expect(whole("m.room.message")("M.Room.Message")).toBe(true);
    expect(whole("m.room.message")("m.room.message.x")).toBe(false);
    expect(whole("m.notice")("m.noticed")).toBe(false);
    expect(whole("")("")).toBe(true);
    expect(whole("")("x")).toBe(false);
  });

  test("`*` matches any run, including none and across lines; `?` exactly one character", () => {
    expect(whole("m.call.*")("m.call.invite")).toBe(true);
    expect(whole("m.call.*")("m.call.")).toBe(true);
    expect(whole("*")("")).toBe(true);
    expect(whole("a*b")("a\nline\nb")).toBe(true);
    expect(whole("a?c")("abc")).toBe(true);
    expect(whole("a?c")("ac")).toBe(false);
    expect(whole("a?c")("abbc")).toBe(false);
    expect(whole("**x**")("x")).toBe(true);
  });

  test("`?` is one character, not one UTF-16 unit", () => {
    expect(whole("a?b")("a😀b")).toBe(true);
    expect(whole("a??b")("a😀b")).toBe(false);
  });

  test("regex syntax in a pattern is literal", () => {
    expect(whole("a.b")("axb")).toBe(false);
    expect(whole("(x)+[y]")("(x)+[y]")).toBe(true);
    expect(whole("^$")("^$")).toBe(true);
  });

  test("non-Latin text folds case", () => {
    expect(whole("CAFÉ")("café")).toBe(true);
    expect(whole("ΣΟΦΊΑ")("σοφία")).toBe(true);
    expect(whole("日本*")("日本語")).toBe(true);
  });
});

describe("word-bounded substring matching (content.body)", () => {
  test("the spec's `ex*ple` example", () => {
    const m = words("ex*ple");
    expect(m("An example event.")).toBe(true);
    expect(m("exple")).toBe(true);
    expect(m("An exciting triple-whammy")).toBe(true);
  });

  test("a word must stand on its own: letters, digits and _ are not boundaries", () => {
    const m = words("cake");
    expect(m("I like cake!")).toBe(true);
    expect(m("CAKE")).toBe(true);
    expect(m("cake-lover")).toBe(true);
    expect(m("(cake)")).toBe(true);
    expect(m("cakes")).toBe(false);
    expect(m("cupcake")).toBe(false);
    expect(m("cake_2")).toBe(false);
    expect(m("cake2")).toBe(false);
    expect(m("")).toBe(false);
    // A later occurrence can match after an earlier one that did not.
    expect(m("cakes and cake")).toBe(true);
  });

  test("characters outside [A-Za-z0-9_] are boundaries, so accents end a word", () => {
    expect(words("caf")("café")).toBe(true);
    expect(words("bob")("@bob:example.org")).toBe(true);
    expect(words("@room")("hello @room!")).toBe(true);
    expect(words("@room")("x@room")).toBe(false);
  });

  test("`*` alone matches any body, including an empty one", () => {
    expect(words("*")("Test message 1")).toBe(true);
    expect(words("*")("")).toBe(true);
  });

  test("wildcards respect boundaries at both ends", () => {
    expect(words("ca?e")("the cafe is open")).toBe(true);
    expect(words("ca?e")("the cafes")).toBe(false);
    expect(words("cake*lie")("the cake is a lie")).toBe(true);
    expect(words("cake*lie")("the cake is a lies")).toBe(false);
    // `*` spans characters and words alike, so only the ends need boundaries.
    expect(words("cake*lie")("cakes lie")).toBe(true);
    expect(words("cake*lie")("cupcakes lie")).toBe(false);
  });

  test("literal mode (display names) treats `*` and `?` as characters", () => {
    const m = compileGlob("Who?", { words: true, literal: true });
    expect(m("hey who? are you")).toBe(true);
    expect(m("hey whom are you")).toBe(false);
  });
});

describe("hostile patterns stay linear", () => {
  const text = "a".repeat(20_000);
  test("many stars over a long text that almost matches", () => {
    expect(whole("*a*a*a*a*a*a*a*a*a*a*b")(text)).toBe(false);
    expect(words("*a*a*a*a*a*a*a*a*a*a*b")(text)).toBe(false);
    expect(words("a*a*a*a*a*a*a*a*a*a")(`${text} x`)).toBe(true);
  });
  test("many question marks", () => {
    expect(words("?".repeat(300) + "b")(text)).toBe(false);
  });
});
