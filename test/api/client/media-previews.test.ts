// URL previews over real HTTP: a page on a loopback address that only this test's config allows
// (127.0.0.2) gives its OpenGraph, title and picture (stored as media), answers are cached, a
// picture previews itself; and the SSRF refusals: a name resolving to loopback, a redirect to the
// link-local metadata address, IPv6 and IPv4 loopback literals. Previews are off by default.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startServer, type TestServer } from "../../helpers/server";
import { addUser, type TestUser } from "../../helpers/users";

const png = await Bun.file(join(import.meta.dir, "../../fixtures/media/photo.png")).bytes();
let site: ReturnType<typeof Bun.serve>;
let hits: string[] = [];
let server: TestServer;
let alice: TestUser;
const siteUrl = (path: string) => `http://127.0.0.2:${site.port}${path}`;

beforeAll(async () => {
  site = Bun.serve({
    hostname: "127.0.0.2",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      hits.push(path);
      const html = (body: string) => new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } });
      if (path === "/page") {
        return html(`<html><head><title>ignored</title><meta property="og:title" content="A page &amp; more">
          <meta name="description" content="What it is about"><meta property="og:image" content="/pic.png"></head><body>x</body></html>`);
      }
      if (path === "/plain") return html("<html><head><title>Just a title</title></head></html>");
      if (path === "/pic.png") return new Response(png, { headers: { "content-type": "image/png" } });
      if (path === "/to-metadata") return Response.redirect("http://169.254.169.254/latest/meta-data/", 302);
      if (path === "/hop") return Response.redirect(siteUrl("/plain"), 301);
      return new Response("no", { status: 404 });
    },
  });
  server = await startServer({ toml: 'url_preview_enabled = true\nurl_preview_ip_range_allowlist = ["127.0.0.2/32"]' });
  alice = await addUser(server, "alice");
});
afterAll(async () => {
  await server.stop();
  site.stop(true);
});

async function preview(url: string, path = "/_matrix/client/v1/media/preview_url") {
  const res = await fetch(`${server.baseUrl}${path}?url=${encodeURIComponent(url)}`, { headers: { Authorization: `Bearer ${alice.session.access_token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test("a page gives its OpenGraph, description and picture; the picture becomes media of this server", async () => {
  const { status, body } = await preview(siteUrl("/page"));
  expect(status).toBe(200);
  expect(body).toMatchObject({ "og:title": "A page & more", "og:description": "What it is about", "og:image:type": "image/png", "og:image:width": 64, "og:image:height": 48, "matrix:image:size": png.length });
  const mxc = (body["og:image"] as string).slice("mxc://".length);
  expect(mxc).toStartWith("localhost/");
  const image = await fetch(`${server.baseUrl}/_matrix/client/v1/media/download/${mxc}`, { headers: { Authorization: `Bearer ${alice.session.access_token}` } });
  expect(new Uint8Array(await image.arrayBuffer())).toEqual(png);
});

test("answers are cached per URL; redirects are followed; the legacy path answers too", async () => {
  hits = [];
  expect((await preview(siteUrl("/hop"))).body).toEqual({ "og:title": "Just a title" });
  expect(hits).toEqual(["/hop", "/plain"]);
  expect((await preview(siteUrl("/hop"), "/_matrix/media/v3/preview_url")).body).toEqual({ "og:title": "Just a title" });
  expect(hits).toEqual(["/hop", "/plain"]);
});

test("a picture is its own preview", async () => {
  const { body } = await preview(siteUrl("/pic.png"));
  expect(body).toMatchObject({ "og:image:type": "image/png", "og:image:width": 64 });
  expect(body["og:image"]).toStartWith("mxc://localhost/");
});

test("SSRF: loopback by name, a redirect to the metadata address, loopback literals are refused", async () => {
  hits = [];
  for (const url of [
    `http://localhost:${site.port}/page`,
    siteUrl("/to-metadata"),
    `http://[::1]:${site.port}/page`,
    `http://127.0.0.1:${site.port}/page`,
    "http://169.254.169.254/latest/meta-data/",
  ]) {
    const res = await preview(url);
    expect([url, res.status, res.body.errcode]).toEqual([url, 403, "M_FORBIDDEN"]);
  }
  expect(hits).toEqual(["/to-metadata"]); // only the allowed address was ever contacted
});

test("only http and https URLs; previews need a token", async () => {
  for (const url of ["ftp://127.0.0.2/x", "file:///etc/passwd", "not a url", "http://user:pw@127.0.0.2/"]) {
    expect((await preview(url)).status).toBe(400);
  }
  expect((await fetch(`${server.baseUrl}/_matrix/client/v1/media/preview_url?url=x`)).status).toBe(401);
});

test("previews are off by default", async () => {
  const off = await startServer();
  try {
    const bob = await addUser(off, "bob");
    const res = await fetch(`${off.baseUrl}/_matrix/client/v1/media/preview_url?url=${encodeURIComponent(siteUrl("/page"))}`, { headers: { Authorization: `Bearer ${bob.session.access_token}` } });
    expect([res.status, ((await res.json()) as { errcode: string }).errcode]).toEqual([404, "M_UNRECOGNIZED"]);
  } finally {
    await off.stop();
  }
});
