/**
 * Dot-separated property paths (spec appendix "Dot-separated property paths"): `content.body`
 * names `body` inside `content`; a literal dot or backslash in a name is escaped with a backslash
 * (`content.m\.relates_to`), and any other backslash sequence is kept as written.
 */

/** Splits a path into its property names, undoing `\.` and `\\` escapes. */
export function splitDotPath(path: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    const next = path[i + 1];
    if (c === "\\" && (next === "." || next === "\\")) {
      current += next;
      i++;
    } else if (c === ".") {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}
