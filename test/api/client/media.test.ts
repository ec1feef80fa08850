// The media endpoints over real HTTP against a real server: uploads (plain and /create + PUT),
// authenticated downloads with safe headers, ranges and ETags, thumbnails of every format, the
// legacy endpoints before and after the freeze, limits while streaming, quotas, and every bad id
// on every media route.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readImageHeader } from "../../../src/core/media/image-header";
import { startServer, type TestServer } from "../../helpers/server";
import { addUser, type TestUser } from "../../helpers/users";

const fixture = (name: string) => Bun.file(join(import.meta.dir, "../../fixtures/media", name)).bytes();
const past = new Date(Date.now() + 3_600_000).toISOString(); // media uploaded before this is "legacy"

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
beforeAll(async () => {
  server = await startServer({ toml: `max_request_size = 20_000\nmax_upload_size = 200_000\nlegacy_media_freeze = "${past}"\n[global.media]\nuser_quota = 400_000\n` });
  alice = await addUser(server, "alice");
  bob = await addUser(server, "bob");
});
afterAll(async () => {
  await server.stop();
});

const auth = (u: TestUser) => ({ Authorization: `Bearer ${u.session.access_token}` });

async function upload(user: TestUser, bytes: Uint8Array | string, contentType = "application/octet-stream", filename?: string) {
  const q = filename === undefined ? "" : `?filename=${encodeURIComponent(filename)}`;
  const res = await fetch(`${server.baseUrl}/_matrix/media/v3/upload${q}`, { method: "POST", headers: { ...auth(user), "Content-Type": contentType }, body: bytes });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}
async function uploaded(user: TestUser, bytes: Uint8Array | string, contentType?: string, filename?: string): Promise<string> {
  const res = await upload(user, bytes, contentType, filename);
  expect(res.status).toBe(200);
  return res.body.content_uri!.slice("mxc://".length);
}
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.baseUrl}${path}`, { headers });
async function errcode(res: Response): Promise<[number, string]> {
  return [res.status, ((await res.json()) as { errcode: string }).errcode];
}

describe("upload and authenticated download", () => {
  test("bytes, type and name come back with the headers that keep media from acting as a page", async () => {
    const png = await fixture("photo.png");
    const raw = await fetch(`${server.baseUrl}/_matrix/media/r0/upload`, { method: "POST", headers: { ...auth(alice), "Content-Type": "image/png" }, body: png });
    expect(raw.headers.get("content-type")).toBe("application/json"); // exactly: Hydrogen reads nothing else
    expect(raw.headers.get("access-control-allow-origin")).toBe("*");
    const mxc = await uploaded(alice, png, "image/png", "chat noir é.png");
    expect(mxc).toMatch(/^localhost\/[A-Za-z0-9_-]+$/);
    const res = await get(`/_matrix/client/v1/media/download/${mxc}`, auth(bob));
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-disposition")).toBe("inline; filename*=utf-8''chat%20noir%20%C3%A9.png");
    expect(res.headers.get("content-security-policy")).toStartWith("sandbox; default-src 'none'");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/);
    const named = await get(`/_matrix/client/v1/media/download/${mxc}/other.png`, auth(bob));
    expect(named.headers.get("content-disposition")).toBe('inline; filename="other.png"');
  });

  test("HTML and SVG are attachments; text gets a charset", async () => {
    const html = await uploaded(alice, "<script>alert(1)</script>", "text/html", "x.html");
    expect((await get(`/_matrix/client/v1/media/download/${html}`, auth(alice))).headers.get("content-disposition")).toBe('attachment; filename="x.html"');
    const svg = await uploaded(alice, "<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml");
    expect((await get(`/_matrix/client/v1/media/download/${svg}`, auth(alice))).headers.get("content-disposition")).toBe("attachment");
    const text = await uploaded(alice, "hello", "text/plain");
    expect((await get(`/_matrix/client/v1/media/download/${text}`, auth(alice))).headers.get("content-type")).toBe("text/plain; charset=utf-8");
  });

  test("Range answers part of the content; past the end is 416; If-None-Match is 304", async () => {
    const mxc = await uploaded(alice, "0123456789");
    const part = await get(`/_matrix/client/v1/media/download/${mxc}`, { ...auth(alice), Range: "bytes=2-5" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 2-5/10");
    expect(await part.text()).toBe("2345");
    expect(await (await get(`/_matrix/client/v1/media/download/${mxc}`, { ...auth(alice), Range: "bytes=-3" })).text()).toBe("789");
    const beyond = await get(`/_matrix/client/v1/media/download/${mxc}`, { ...auth(alice), Range: "bytes=10-" });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe("bytes */10");
    const etag = (await get(`/_matrix/client/v1/media/download/${mxc}`, auth(alice))).headers.get("etag")!;
    const cached = await get(`/_matrix/client/v1/media/download/${mxc}`, { ...auth(alice), "If-None-Match": etag });
    expect(cached.status).toBe(304);
    expect(await cached.text()).toBe("");
  });

  test("the authenticated endpoints need a token; unknown media is 404", async () => {
    const mxc = await uploaded(alice, "secret");
    expect(await errcode(await get(`/_matrix/client/v1/media/download/${mxc}`))).toEqual([401, "M_MISSING_TOKEN"]);
    expect(await errcode(await get(`/_matrix/client/v1/media/thumbnail/${mxc}?width=32&height=32`))).toEqual([401, "M_MISSING_TOKEN"]);
    expect(await errcode(await get("/_matrix/client/v1/media/download/localhost/nothingHere", auth(alice)))).toEqual([404, "M_NOT_FOUND"]);
    expect(await (await get("/_matrix/client/v1/media/config", auth(alice))).json()).toEqual({ "m.upload.size": 200_000 });
  });

  test("uploads larger than max_request_size are fine up to max_upload_size; beyond it 413, declared or streamed", async () => {
    const mxc = await uploaded(alice, new Uint8Array(150_000).fill(7));
    expect((await (await get(`/_matrix/client/v1/media/download/${mxc}`, auth(alice))).arrayBuffer()).byteLength).toBe(150_000);
    const declared = await upload(bob, new Uint8Array(200_001));
    expect([declared.status, declared.body.errcode]).toEqual([413, "M_TOO_LARGE"]);
    expect(declared.body.error).toContain("200000 bytes (max_upload_size)");
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        sent += 16_384;
        c.enqueue(new Uint8Array(16_384));
        if (sent > 4_000_000) c.close();
      },
    });
    const streamed = await fetch(`${server.baseUrl}/_matrix/media/v3/upload`, { method: "POST", headers: auth(bob), body: endless, duplex: "half" } as RequestInit);
    expect(await errcode(streamed)).toEqual([413, "M_TOO_LARGE"]);
  });

  test("a user's quota is 403 M_FORBIDDEN naming it", async () => {
    const carol = await addUser(server, "carol");
    await uploaded(carol, new Uint8Array(190_000));
    await uploaded(carol, new Uint8Array(190_000).fill(1));
    const over = await upload(carol, new Uint8Array(30_000).fill(2));
    expect([over.status, over.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    expect(over.body.error).toContain("media quota of 400000 bytes");
  });
});

describe("asynchronous uploads", () => {
  test("create, then PUT by the creator once; a download waits for the content or answers 504", async () => {
    const created = await (await fetch(`${server.baseUrl}/_matrix/media/v1/create`, { method: "POST", headers: auth(alice) })).json() as { content_uri: string; unused_expires_at: number };
    expect(created.unused_expires_at).toBeGreaterThan(Date.now());
    const mxc = created.content_uri.slice("mxc://".length);
    expect(await errcode(await get(`/_matrix/client/v1/media/download/${mxc}?timeout_ms=50`, auth(bob)))).toEqual([504, "M_NOT_YET_UPLOADED"]);
    const waiting = get(`/_matrix/client/v1/media/download/${mxc}?timeout_ms=10000`, auth(bob));
    const put = (u: TestUser, body: string) => fetch(`${server.baseUrl}/_matrix/media/v3/upload/${mxc}?filename=late.txt`, { method: "PUT", headers: { ...auth(u), "Content-Type": "text/plain" }, body });
    expect(await errcode(await put(bob, "not yours"))).toEqual([403, "M_FORBIDDEN"]);
    const ok = await put(alice, "arrived later");
    expect(ok.status).toBe(200);
    expect(await (await waiting).text()).toBe("arrived later");
    expect(await errcode(await put(alice, "again"))).toEqual([409, "M_CANNOT_OVERWRITE_MEDIA"]);
  });

  test("a user may hold only a few ids waiting for their upload", async () => {
    const dave = await addUser(server, "dave");
    const create = () => fetch(`${server.baseUrl}/_matrix/media/v1/create`, { method: "POST", headers: auth(dave) });
    for (let i = 0; i < 5; i++) expect((await create()).status).toBe(200);
    const sixth = await create();
    expect(await errcode(sixth)).toEqual([429, "M_LIMIT_EXCEEDED"]);
  });
});

describe("thumbnails", () => {
  test.each([
    ["photo.jpg", "image/jpeg", "image/jpeg"],
    ["photo.png", "image/png", "image/png"],
    ["still.gif", "image/gif", "image/png"],
    ["lossy.webp", "image/webp", "image/png"],
  ])("%s gets a %s... thumbnail as %s", async (name, type, thumbType) => {
    const mxc = await uploaded(alice, await fixture(name), type);
    const res = await get(`/_matrix/client/v1/media/thumbnail/${mxc}?width=32&height=32&method=crop`, auth(bob));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(thumbType);
    expect(res.headers.get("content-security-policy")).toStartWith("sandbox");
    const header = readImageHeader(new Uint8Array(await res.arrayBuffer()));
    expect(header!.width).toBeLessThanOrEqual(32);
  }, 60_000);

  test("an animated GIF stays animated when asked", async () => {
    const mxc = await uploaded(alice, await fixture("animated.gif"), "image/gif");
    const res = await get(`/_matrix/client/v1/media/thumbnail/${mxc}?width=32&height=32&animated=true`, auth(bob));
    expect(res.headers.get("content-type")).toBe("image/gif");
    expect(readImageHeader(new Uint8Array(await res.arrayBuffer()))).toMatchObject({ animated: true });
  }, 60_000);

  test("a bad method is 400; something that is not a picture is 400", async () => {
    const mxc = await uploaded(alice, "just text", "text/plain");
    expect((await get(`/_matrix/client/v1/media/thumbnail/${mxc}?width=32&height=32&method=stretch`, auth(bob))).status).toBe(400);
    expect((await get(`/_matrix/client/v1/media/thumbnail/${mxc}?width=32&height=32`, auth(bob))).status).toBe(400);
    expect((await get(`/_matrix/client/v1/media/thumbnail/${mxc}?height=32`, auth(bob))).status).toBe(400);
  }, 60_000);
});

describe("legacy endpoints", () => {
  test("media from before the freeze is served unauthenticated, under v3 and r0, with the same headers", async () => {
    const png = await fixture("photo.png");
    const mxc = await uploaded(alice, png, "image/png");
    for (const version of ["v3", "r0"]) {
      const res = await get(`/_matrix/media/${version}/download/${mxc}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect((await get(`/_matrix/media/${version}/thumbnail/${mxc}?width=32&height=32`)).status).toBe(200);
    }
  }, 60_000);

  test("after the freeze, new media is only served by the authenticated endpoints", async () => {
    const fresh = await startServer({ toml: `legacy_media_freeze = "2020-01-01T00:00:00Z"` });
    try {
      const eve = await addUser(fresh, "eve");
      const res = await fetch(`${fresh.baseUrl}/_matrix/media/v3/upload`, { method: "POST", headers: { Authorization: `Bearer ${eve.session.access_token}` }, body: "new" });
      const mxc = ((await res.json()) as { content_uri: string }).content_uri.slice("mxc://".length);
      expect(await errcode(await fetch(`${fresh.baseUrl}/_matrix/media/v3/download/${mxc}`))).toEqual([404, "M_NOT_FOUND"]);
      expect((await fetch(`${fresh.baseUrl}/_matrix/client/v1/media/download/${mxc}`, { headers: { Authorization: `Bearer ${eve.session.access_token}` } })).status).toBe(200);
    } finally {
      await fresh.stop();
    }
  });

  test("allow_legacy_media = false: the legacy paths do not exist", async () => {
    const off = await startServer({ toml: "allow_legacy_media = false" });
    try {
      expect(await errcode(await fetch(`${off.baseUrl}/_matrix/media/v3/download/localhost/abc`))).toEqual([404, "M_UNRECOGNIZED"]);
    } finally {
      await off.stop();
    }
  });
});

describe("bad media ids on every media route", () => {
  const bad = ["..%2F..%2Fetc", "a%2Fb", "a%2F..%2F..%2Fconduit.db", "a%00b", "a%5Cb", "a.b", "%20", "%C3%A9"];
  const routes: [string, (id: string) => string, boolean][] = [
    ["GET", (id) => `/_matrix/client/v1/media/download/localhost/${id}`, true],
    ["GET", (id) => `/_matrix/client/v1/media/download/localhost/${id}/name.png`, true],
    ["GET", (id) => `/_matrix/client/v1/media/thumbnail/localhost/${id}?width=32&height=32`, true],
    ["GET", (id) => `/_matrix/media/v3/download/localhost/${id}`, false],
    ["GET", (id) => `/_matrix/media/v3/download/localhost/${id}/name.png`, false],
    ["GET", (id) => `/_matrix/media/r0/download/localhost/${id}`, false],
    ["GET", (id) => `/_matrix/media/v3/thumbnail/localhost/${id}?width=32&height=32`, false],
    ["PUT", (id) => `/_matrix/media/v3/upload/localhost/${id}`, true],
  ];
  test.each(routes)("%s %p: 400 M_INVALID_PARAM", async (method, path, authed) => {
    for (const id of bad) {
      const res = await fetch(`${server.baseUrl}${path(id)}`, { method, headers: authed ? auth(alice) : {}, body: method === "PUT" ? "x" : undefined });
      expect([id, ...(await errcode(res))]).toEqual([id, 400, "M_INVALID_PARAM"]);
    }
  });

  // Dot segments ("..", "%2e%2e") are resolved by the HTTP layer before routing (RFC 3986 5.2.4), so
  // they only ever name another path: an unknown one, another route, or a bad id there.
  test.each(routes)("%s %p: dot segments never reach a media id", async (method, path, authed) => {
    for (const id of ["..", "%2e%2e", "%2E%2e", "."]) {
      const res = await fetch(`${server.baseUrl}${path(id)}`, { method, headers: authed ? auth(alice) : {}, body: method === "PUT" ? "x" : undefined });
      const [status, code] = await errcode(res);
      expect([[404, "M_UNRECOGNIZED"], [405, "M_UNRECOGNIZED"], [400, "M_INVALID_PARAM"]]).toContainEqual([status, code]);
    }
  });

  test("a bad server name is 400 M_INVALID_PARAM too", async () => {
    expect(await errcode(await get("/_matrix/client/v1/media/download/local%2Fhost/abc", auth(alice)))).toEqual([400, "M_INVALID_PARAM"]);
  });
});
