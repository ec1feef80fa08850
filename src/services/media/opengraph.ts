/**
 * The preview of an HTML page (spec "GET /preview_url": OpenGraph properties): `og:*` meta tags,
 * else the page's `<title>` and `<meta name="description">`. Read with a real HTML parser
 * (htmlparser2, streaming: entities, comments, scripts and odd markup are handled as browsers
 * do), stopping at the end of `<head>` or the first `<body>` once something was found.
 */
import { Parser } from "htmlparser2";

export type OpenGraph = Record<string, string | number>;

/** OpenGraph keys a preview keeps; values are cut to a sensible length. */
const MAX_VALUE_LENGTH = 1_000;

export function parseOpenGraph(html: string): OpenGraph {
  const og: OpenGraph = {};
  let title = "";
  let inTitle = false;
  let description: string | undefined;
  let done = false;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (done) return;
        if (name === "title") inTitle = title === "";
        if (name === "body" && Object.keys(og).length > 0) done = true;
        if (name !== "meta" || attrs.content === undefined) return;
        const key = attrs.property ?? attrs.name;
        if (!key) return;
        const value = attrs.content.trim().slice(0, MAX_VALUE_LENGTH);
        if (key.startsWith("og:") && !(key in og)) og[key] = value;
        if (key.toLowerCase() === "description" && description === undefined) description = value;
      },
      ontext(text) {
        if (inTitle && !done) title += text;
      },
      onclosetag(name) {
        if (name === "title") inTitle = false;
        if (name === "head" && Object.keys(og).length > 0) done = true;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  const cleanTitle = title.replace(/\s+/g, " ").trim().slice(0, MAX_VALUE_LENGTH);
  if (og["og:title"] === undefined && cleanTitle) og["og:title"] = cleanTitle;
  if (og["og:description"] === undefined && description) og["og:description"] = description;
  return og;
}
