/**
 * Full-text search text handling, shared by indexing and querying so both split text alike.
 * The index tokenizes with SQLite's `unicode61 remove_diacritics 2` (case and accents folded:
 * "creme" finds "Crème"). Chinese, Japanese and Korean put no spaces between words, so each
 * character of those scripts becomes a token of its own, and a CJK query word becomes a phrase of
 * its characters: "東京" finds "東京タワー" (the characters adjacent, in order), at any length.
 */

/** Han, kana and Hangul: the scripts indexed character by character. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;
const CJK_AT_END = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]$/u;
/** What unicode61 keeps in a token: letters, numbers, private use; everything else separates. */
const TOKEN = /[\p{L}\p{N}\p{Co}\p{M}]+/gu;

/** Text as the index receives it: CJK characters spaced apart. */
export function indexableText(text: string): string {
  return text.replace(CJK, " $& ");
}

/** A token as the tokenizer compares it: lower case, accents removed. */
export function foldToken(token: string): string {
  return token.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

export interface ParsedSearch {
  /** The FTS5 query: every word or quoted phrase must match (a word also as a prefix). */
  match: string;
  /** The words and phrases as the user typed them, for highlighting. */
  terms: string[];
  /** The folded non-CJK query tokens that match by prefix, to find the words they matched. */
  prefixes: string[];
}

/**
 * Reads a `search_term`: words separated by spaces, `"quoted phrases"` kept together. Returns null
 * when nothing searchable is left (only punctuation).
 */
export function parseSearchTerm(searchTerm: string): ParsedSearch | null {
  const parts: { text: string; phrase: boolean }[] = [];
  for (const m of searchTerm.matchAll(/"([^"]*)"?|(\S+)/g)) {
    if (m[1] !== undefined) parts.push({ text: m[1], phrase: true });
    else parts.push({ text: m[2]!, phrase: false });
  }
  const clauses: string[] = [];
  const terms: string[] = [];
  const prefixes: string[] = [];
  for (const { text, phrase } of parts) {
    const tokens = indexableText(text).match(TOKEN);
    if (!tokens) continue;
    terms.push(text.trim());
    const quoted = `"${tokens.join(" ")}"`;
    // A plain word also matches longer words it begins ("meet" finds "meeting"); CJK needs no prefix.
    const prefix = !phrase && !CJK_AT_END.test(tokens.at(-1)!);
    clauses.push(prefix ? `${quoted} *` : quoted);
    for (const t of tokens) if (!CJK_AT_END.test(t)) prefixes.push(foldToken(t));
  }
  if (clauses.length === 0) return null;
  return { match: clauses.join(" AND "), terms, prefixes };
}

/** The words of `text` that a query token matched (as a prefix, folded): what clients highlight. */
export function matchedWords(text: string, prefixes: readonly string[]): string[] {
  const found: string[] = [];
  for (const word of text.match(TOKEN) ?? []) {
    const folded = foldToken(word);
    if (prefixes.some((p) => folded.startsWith(p))) found.push(word);
  }
  return found;
}
