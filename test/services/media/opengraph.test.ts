// OpenGraph from HTML: og:* tags win, <title> and the description fill in, entities are decoded,
// tags in scripts or comments are not read, and messy markup still parses.
import { expect, test } from "bun:test";
import { parseOpenGraph } from "../../../src/services/media/opengraph";

test("og:* tags are read, the first of each wins", () => {
  const html = `<html><head><meta property="og:title" content="Cats &amp; Dogs"><meta property="og:title" content="second">
    <meta property="og:image" content="/pic.png"><meta property="og:description" content=" Fur. "></head><body></body></html>`;
  expect(parseOpenGraph(html)).toEqual({ "og:title": "Cats & Dogs", "og:image": "/pic.png", "og:description": "Fur." });
});

test("without og: tags, the title and the meta description stand in", () => {
  const html = "<!doctype html><HTML><HEAD><TITLE>  A   page\n title </TITLE><META NAME=Description CONTENT='About it'></HEAD></HTML>";
  expect(parseOpenGraph(html)).toEqual({ "og:title": "A page title", "og:description": "About it" });
});

test("markup inside scripts and comments is not taken for tags", () => {
  const html = `<head><script>document.write('<meta property="og:title" content="evil">')</script>
    <!-- <meta property="og:title" content="commented"> --><title>Real</title></head>`;
  expect(parseOpenGraph(html)).toEqual({ "og:title": "Real" });
});

test("unclosed tags and a page with nothing to show", () => {
  expect(parseOpenGraph("<title>Unclosed")).toEqual({ "og:title": "Unclosed" });
  expect(parseOpenGraph("<p>just text</p>")).toEqual({});
  expect((parseOpenGraph(`<meta property="og:title" content="${"x".repeat(5000)}">`)["og:title"] as string).length).toBe(1000);
});
