/**
 * Glob matching for push rules (spec appendix "Glob-style matching": `*` is any run of characters,
 * `?` exactly one), case-insensitive. Two modes: the whole value must match (`event_match`), or
 * some substring that starts and ends at a word boundary must (`content.body`: a boundary is the
 * start or end of the value or a character outside `[A-Za-z0-9_]`).
 * Patterns come from users, so matching never backtracks: a pattern is run as a set of states
 * over the text, O(text x pattern) at worst; a pattern without wildcards is a plain search.
 */

export type GlobMatcher = (value: string) => boolean;

const STAR = -1;
const ANY = -2;

/** Whether the code point is in `[A-Za-z0-9_]`. */
function isWordChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
}

function codePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(ch.codePointAt(0)!);
  return out;
}

/** Pattern tokens: code points, ANY for `?`, STAR for a run of `*` (collapsed: `**` is `*`). */
function tokensOf(pattern: string, literal: boolean): number[] {
  const tokens: number[] = [];
  for (const c of codePoints(pattern.toLowerCase())) {
    if (!literal && c === 0x2a) {
      if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
    } else if (!literal && c === 0x3f) tokens.push(ANY);
    else tokens.push(c);
  }
  return tokens;
}

/**
 * Compiles `pattern`. `words`: match a word-bounded substring instead of the whole value.
 * `literal`: `*` and `?` are ordinary characters (a display name is matched as written).
 */
export function compileGlob(pattern: string, opts: { words: boolean; literal?: boolean }): GlobMatcher {
  const tokens = tokensOf(pattern, opts.literal ?? false);
  const plain = !tokens.some((t) => t === STAR || t === ANY);
  if (plain) {
    const needle = String.fromCodePoint(...tokens);
    return opts.words ? (value) => containsWord(value.toLowerCase(), needle) : (value) => value.toLowerCase() === needle;
  }
  return (value) => runStates(tokens, codePoints(value.toLowerCase()), opts.words);
}

/** A word-bounded occurrence of `needle` in `text` (both lower-cased). */
function containsWord(text: string, needle: string): boolean {
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const before = at === 0 || !isWordChar(text.charCodeAt(at - 1));
    const end = at + needle.length;
    const after = end === text.length || !isWordChar(text.charCodeAt(end));
    if (before && after) return true;
  }
  return false;
}

/**
 * Runs the pattern as a set of live positions in `tokens` over `text`. In `words` mode a new match
 * may begin wherever a word boundary precedes, and succeeds wherever one follows.
 */
function runStates(tokens: number[], text: number[], words: boolean): boolean {
  const m = tokens.length;
  let live = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  // Enters position i, and past any star there (a star may match nothing).
  const enter = (set: Uint8Array, i: number) => {
    set[i] = 1;
    while (i < m && tokens[i] === STAR) set[++i] = 1;
  };
  if (!words) enter(live, 0);
  for (let pos = 0; ; pos++) {
    const atEnd = pos === text.length;
    if (words && (pos === 0 || !isWordChar(text[pos - 1]!))) enter(live, 0);
    if (live[m] && (words ? atEnd || !isWordChar(text[pos]!) : atEnd)) return true;
    if (atEnd) return false;
    const c = text[pos]!;
    next.fill(0);
    let any = false;
    for (let i = 0; i < m; i++) {
      if (!live[i]) continue;
      const t = tokens[i]!;
      if (t === STAR) enter(next, i);
      else if (t === ANY || t === c) enter(next, i + 1);
      else continue;
      any = true;
    }
    [live, next] = [next, live];
    if (!any && !words) return false;
  }
}
