// Remote media between two real instances over TLS: B fetches A's media over federation
// (multipart/mixed), caches it (served even when A is gone), thumbnails it itself, and says 404
// for media A does not have. A server without the federation media endpoint is asked through the
// legacy one; a Location answer is followed.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { readImageHeader } from "../../../src/core/media/image-header";
import { federationMediaFrame } from "../../../src/core/media/multipart";
import type { Session } from "../../helpers/client";
import { freePort, startFederatedPair, type FederatedPair, type FederatedServer } from "../../helpers/federation";

let pair: FederatedPair;
let a: FederatedServer;
let b: FederatedServer;
let alice: Session;
let bob: Session;

beforeAll(async () => {
  pair = await startFederatedPair({ a: "alice", b: "bob" });
  ({ a, b, userA: alice, userB: bob } = pair);
}, 60_000);
afterAll(() => pair?.close());

const fixture = (name: string) => Bun.file(join(import.meta.dir, "../../fixtures/media", name)).bytes();
const bearer = (s: Session) => ({ Authorization: `Bearer ${s.access_token}` });

async function uploadTo(server: FederatedServer, user: Session, bytes: Uint8Array, type: string, filename: string): Promise<string> {
  const res = await server.fetch(`/_matrix/media/v3/upload?filename=${filename}`, { method: "POST", headers: { ...bearer(user), "Content-Type": type }, body: bytes });
  expect(res.status).toBe(200);
  return ((await res.json()) as { content_uri: string }).content_uri.slice("mxc://".length);
}

test("B serves A's media to its users: fetched over federation once, then from its cache", async () => {
  const jpeg = await fixture("photo.jpg");
  const mxc = await uploadTo(a, alice, jpeg, "image/jpeg", "photo.jpg");
  expect(mxc.startsWith(`${a.serverName}/`)).toBe(true);
  const first = await b.fetch(`/_matrix/client/v1/media/download/${mxc}`, { headers: bearer(bob) });
  expect(first.status).toBe(200);
  expect(new Uint8Array(await first.arrayBuffer())).toEqual(jpeg);
  expect(first.headers.get("content-type")).toBe("image/jpeg");
  expect(first.headers.get("content-disposition")).toBe('inline; filename="photo.jpg"');
  const thumb = await b.fetch(`/_matrix/client/v1/media/thumbnail/${mxc}?width=32&height=32&method=crop`, { headers: bearer(bob) });
  expect(thumb.status).toBe(200);
  expect(readImageHeader(new Uint8Array(await thumb.arrayBuffer()))).toMatchObject({ format: "jpeg", width: 32, height: 32 });
  const unknown = await b.fetch(`/_matrix/client/v1/media/download/${a.serverName}/doesNotExist`, { headers: bearer(bob) });
  expect(unknown.status).toBe(404);
}, 60_000);

test("A's federation media endpoints refuse unsigned requests", async () => {
  for (const path of ["/_matrix/federation/v1/media/download/anything", "/_matrix/federation/v1/media/thumbnail/anything?width=1&height=1"]) {
    expect((await a.fetch(path)).status).toBe(401);
  }
});

/** A TLS server standing in for another homeserver: no federation media endpoint, or a Location. */
function fakeServer(mode: "legacy-only" | "location") {
  const port = freePort();
  const name = `127.0.0.1:${port}`;
  const content = new TextEncoder().encode("bytes from elsewhere");
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    tls: { cert: pair.setup.cert.cert, key: pair.setup.cert.key },
    fetch(req) {
      const path = decodeURIComponent(new URL(req.url).pathname);
      if (path === "/_matrix/federation/v1/media/download/abc") {
        if (mode === "legacy-only") return Response.json({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }, { status: 404 });
        const frame = federationMediaFrame("zz", { Location: `https://${name}/cdn/abc` });
        return new Response(new Blob([frame.head, frame.tail]), { headers: { "Content-Type": frame.contentType } });
      }
      if (path === `/_matrix/media/v3/download/${name}/abc` && mode === "legacy-only") {
        return new Response(content, { headers: { "Content-Type": "text/plain", "Content-Disposition": 'attachment; filename="old.txt"' } });
      }
      if (path === "/cdn/abc" && mode === "location") return new Response(content, { headers: { "Content-Type": "text/plain" } });
      return Response.json({ errcode: "M_NOT_FOUND", error: "no" }, { status: 404 });
    },
  });
  return { name, content, stop: () => server.stop(true) };
}

test.each(["legacy-only", "location"] as const)("a remote server that answers %s still gets its media served", async (mode) => {
  const remote = fakeServer(mode);
  try {
    const res = await b.fetch(`/_matrix/client/v1/media/download/${remote.name}/abc`, { headers: bearer(bob) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("bytes from elsewhere");
    if (mode === "legacy-only") expect(res.headers.get("content-disposition")).toBe('inline; filename="old.txt"'); // the name is kept; the disposition is ours
  } finally {
    remote.stop();
  }
}, 60_000);

test("cached remote media stays available when its origin is gone", async () => {
  const png = await fixture("palette.png");
  const mxc = await uploadTo(a, alice, png, "image/png", "p.png");
  expect((await b.fetch(`/_matrix/client/v1/media/download/${mxc}`, { headers: bearer(bob) })).status).toBe(200);
  await a.stop();
  const again = await b.fetch(`/_matrix/client/v1/media/download/${mxc}`, { headers: bearer(bob) });
  expect(again.status).toBe(200);
  expect(new Uint8Array(await again.arrayBuffer())).toEqual(png);
}, 60_000);
