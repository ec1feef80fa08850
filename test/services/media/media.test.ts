// The media area over a temporary database, a temporary file store, the real thumbnail worker and
// a controllable clock: uploads within limits, ids from /create, waiting downloads, the legacy
// freeze, id validation, thumbnails made once, bombs refused, and the retention sweep.
import { afterAll, afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_THUMBNAIL_SIZES } from "../../../src/core/media/thumbnail-sizes";
import { readImageHeader } from "../../../src/core/media/image-header";
import { createMediaServices, type MediaServices } from "../../../src/services/media";
import type { MediaSettings } from "../../../src/services/media/settings";
import type { UploadBody } from "../../../src/services/media/uploads";
import { MatrixError } from "../../../src/services/matrix-error";
import { createStorage, openDatabase, type Storage } from "../../../src/storage";
import { createMediaFileStore, type MediaFileStore } from "../../../src/storage/media-files";
import { createThumbnailer, type Thumbnailer } from "../../../src/workers/thumbnailer/pool";
import { createFakeClock, type FakeClock } from "../../../src/runtime/clock";

const worker = createThumbnailer({ idleMs: 500 });
afterAll(() => worker.stop());
let renders = 0;
const counting: Thumbnailer = { ...worker, render: (job) => (renders++, worker.render(job)) };

let storage: Storage;
let files: MediaFileStore;
let dir: string;
let clock: FakeClock;
let media: MediaServices;
const alice = "@alice:a.test";
const bob = "@bob:a.test";

function setup(over: Partial<MediaSettings> = {}) {
  const settings: MediaSettings = {
    serverName: "a.test", maxUploadSize: 1_000, maxImagePixels: 1_000_000, thumbnailSizes: DEFAULT_THUMBNAIL_SIZES,
    userQuota: null, localCap: null, pendingExpiryMs: 60_000, maxPendingPerUser: 2, legacyEndpoints: true, legacyFreezeTs: null,
    remoteMaxAgeMs: null, remoteCacheCap: null, ...over,
  };
  media = createMediaServices({ settings, storage, files, clock, thumbnailer: counting });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "conduit-media-svc-"));
  storage = createStorage(openDatabase(":memory:"));
  files = createMediaFileStore({ root: dir, depth: 2, length: 2 });
  clock = createFakeClock(1_000_000);
  renders = 0;
  setup();
});
afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const body = (bytes: Uint8Array | string, declare = true, contentType = "application/octet-stream"): UploadBody => {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return { stream: new Blob([b]).stream(), length: declare ? b.length : null, contentType, filename: "f.bin" };
};
const idOf = (uri: string) => uri.split("/").pop()!;
const local = { legacy: false, timeoutMs: 0, allowRemote: false };
async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<MatrixError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (e instanceof MatrixError) return e;
    throw e;
  }
  throw new Error("expected a MatrixError");
}
const contentFiles = () => readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((p) => !p.startsWith("tmp") && p.split("/").length === 3);
const fixture = (name: string) => Bun.file(join(import.meta.dir, "../../fixtures/media", name)).bytes();

test("an upload is served back; identical content is stored once", async () => {
  const a = await media.uploads.upload(alice, body("hello"));
  const b = await media.uploads.upload(bob, body("hello", false));
  expect(a.content_uri).toMatch(/^mxc:\/\/a\.test\/[A-Za-z0-9_-]{24}$/);
  expect(a.content_uri).not.toBe(b.content_uri);
  const got = await media.content.get("a.test", idOf(a.content_uri), local);
  expect(await got.file.text()).toBe("hello");
  expect(got.row).toMatchObject({ uploader: alice, size: 5, content_type: "application/octet-stream", filename: "f.bin" });
  expect(contentFiles()).toHaveLength(1);
});

test("over max_upload_size: 413 while streaming (undeclared) or before reading (declared); nothing is kept", async () => {
  const big = new Uint8Array(1_001);
  const streamed = await errorOf(media.uploads.upload(alice, body(big, false)));
  expect([streamed.status, streamed.errcode]).toEqual([413, "M_TOO_LARGE"]);
  expect(streamed.message).toContain("1000 bytes (max_upload_size)");
  let pulled = false;
  const stream = new ReadableStream<Uint8Array>({ pull: () => void (pulled = true) }, { highWaterMark: 0 });
  const untouched: UploadBody = { stream, length: 5_000, contentType: null, filename: null };
  expect((await errorOf(media.uploads.upload(alice, untouched))).status).toBe(413);
  expect(pulled).toBe(false);
  expect(contentFiles()).toEqual([]);
  expect(storage.media.usage("local")).toBe(0);
});

test("the per-user quota is 403 naming the quota; the server cap is 413 naming the cap", async () => {
  setup({ userQuota: 100 });
  await media.uploads.upload(alice, body("x".repeat(60)));
  const over = await errorOf(media.uploads.upload(alice, body("y".repeat(50), false)));
  expect([over.status, over.errcode]).toEqual([403, "M_FORBIDDEN"]);
  expect(over.message).toContain("media quota of 100 bytes");
  await media.uploads.upload(bob, body("y".repeat(50)));
  setup({ localCap: 120 });
  const capped = await errorOf(media.uploads.upload(bob, body("z".repeat(20))));
  expect([capped.status, capped.errcode]).toEqual([413, "M_TOO_LARGE"]);
  expect(capped.message).toContain("storage cap of 120 bytes");
});

test("/create ids: capped per user, filled once by their creator, expired after their time", async () => {
  const a = media.uploads.create(alice);
  expect(a.unused_expires_at).toBe(clock.now() + 60_000);
  media.uploads.create(alice);
  const third = await errorOf(() => media.uploads.create(alice));
  expect([third.status, third.errcode]).toEqual([429, "M_LIMIT_EXCEEDED"]);
  media.uploads.create(bob); // others are not affected
  const id = idOf(a.content_uri);
  expect((await errorOf(media.uploads.uploadTo(bob, "a.test", id, body("x")))).errcode).toBe("M_FORBIDDEN");
  expect((await errorOf(media.uploads.uploadTo(alice, "b.test", id, body("x")))).errcode).toBe("M_NOT_FOUND");
  await media.uploads.uploadTo(alice, "a.test", id, body("first"));
  const again = await errorOf(media.uploads.uploadTo(alice, "a.test", id, body("second")));
  expect([again.status, again.errcode]).toEqual([409, "M_CANNOT_OVERWRITE_MEDIA"]);
  expect(await (await media.content.get("a.test", id, local)).file.text()).toBe("first");
  const late = media.uploads.create(alice);
  clock.advance(60_001);
  expect((await errorOf(media.uploads.uploadTo(alice, "a.test", idOf(late.content_uri), body("x")))).errcode).toBe("M_NOT_FOUND");
  media.uploads.create(alice); // expired ids no longer count
});

test("a download of an id still waiting for its upload waits for it, or answers 504 M_NOT_YET_UPLOADED", async () => {
  const id = idOf(media.uploads.create(alice).content_uri);
  const pending = errorOf(media.content.get("a.test", id, { ...local, timeoutMs: 20 }));
  clock.advance(20);
  const timedOut = await pending;
  expect([timedOut.status, timedOut.errcode]).toEqual([504, "M_NOT_YET_UPLOADED"]);
  const waiting = media.content.get("a.test", id, { ...local, timeoutMs: 10_000 });
  await media.uploads.uploadTo(alice, "a.test", id, body("arrived"));
  expect(await (await waiting).file.text()).toBe("arrived");
});

test("legacy endpoints serve only media created before the freeze", async () => {
  const old = idOf((await media.uploads.upload(alice, body("old"))).content_uri);
  clock.advance(10);
  const fresh = idOf((await media.uploads.upload(alice, body("new"))).content_uri);
  const legacy = { ...local, legacy: true };
  expect((await errorOf(media.content.get("a.test", old, legacy))).errcode).toBe("M_NOT_FOUND"); // no freeze: nothing legacy
  setup({ legacyFreezeTs: clock.now() });
  expect(await (await media.content.get("a.test", old, legacy)).file.text()).toBe("old");
  const refused = await errorOf(media.content.get("a.test", fresh, legacy));
  expect([refused.status, refused.errcode]).toEqual([404, "M_NOT_FOUND"]);
  expect(refused.message).toContain("/_matrix/client/v1/media");
  expect(await (await media.content.get("a.test", fresh, local)).file.text()).toBe("new");
});

test("bad media ids and server names are 400 M_INVALID_PARAM; unknown ones 404", async () => {
  for (const id of ["..", "a/b", "a\u0000b", "%2e%2e", "a b", ""]) {
    const e = await errorOf(media.content.get("a.test", id, local));
    expect([e.status, e.errcode]).toEqual([400, "M_INVALID_PARAM"]);
  }
  expect((await errorOf(media.content.get("a.test/..", "abc", local))).errcode).toBe("M_INVALID_PARAM");
  expect((await errorOf(media.content.get("a.test", "unknown", local))).errcode).toBe("M_NOT_FOUND");
  expect((await errorOf(media.content.get("b.test", "unknown", local))).errcode).toBe("M_NOT_FOUND");
});

test("a thumbnail is rendered once per configured size and shared by concurrent requests", async () => {
  setup({ maxUploadSize: 100_000 });
  const id = idOf((await media.uploads.upload(alice, body(await fixture("photo.jpg"), true, "image/jpeg"))).content_uri);
  const req = { width: 30, height: 30, method: "crop" as const, animated: false };
  const [a, b] = await Promise.all([media.thumbnails.get("a.test", id, req, local), media.thumbnails.get("a.test", id, req, local)]);
  expect(renders).toBe(1);
  expect(a.sha256).toBe(b.sha256);
  expect(a.contentType).toBe("image/jpeg");
  expect(readImageHeader(await a.file.bytes())).toMatchObject({ format: "jpeg", width: 32, height: 32 });
  await media.thumbnails.get("a.test", id, { ...req, width: 32, height: 32 }, local); // same configured size
  await media.thumbnails.get("a.test", id, { ...req, animated: true }, local); // a still picture: the still thumbnail
  expect(renders).toBe(1);
  await media.thumbnails.get("a.test", id, { width: 300, height: 200, method: "scale", animated: false }, local);
  expect(renders).toBe(2);
});

test("animated pictures get an animated thumbnail only when asked", async () => {
  setup({ maxUploadSize: 100_000 });
  const id = idOf((await media.uploads.upload(alice, body(await fixture("animated.gif"), true, "image/gif"))).content_uri);
  const still = await media.thumbnails.get("a.test", id, { width: 32, height: 32, method: "crop", animated: false }, local);
  const moving = await media.thumbnails.get("a.test", id, { width: 32, height: 32, method: "crop", animated: true }, local);
  expect(still.contentType).toBe("image/png");
  expect(moving.contentType).toBe("image/gif");
  expect(readImageHeader(await moving.file.bytes())).toMatchObject({ animated: true });
});

test("a decompression bomb is refused from its header (413) and never rendered; non-pictures are 400", async () => {
  setup({ maxUploadSize: 100_000, maxImagePixels: 10_000 });
  const png = (await fixture("palette.png")).slice();
  new DataView(png.buffer).setUint32(16, 50_000);
  new DataView(png.buffer).setUint32(20, 50_000);
  const bomb = idOf((await media.uploads.upload(alice, body(png, true, "image/png"))).content_uri);
  const req = { width: 32, height: 32, method: "crop" as const, animated: false };
  const refused = await errorOf(media.thumbnails.get("a.test", bomb, req, local));
  expect([refused.status, refused.errcode]).toEqual([413, "M_TOO_LARGE"]);
  expect(refused.message).toContain("max_image_pixels = 10000");
  const text = idOf((await media.uploads.upload(alice, body("<svg/>", true, "image/svg+xml"))).content_uri);
  expect((await errorOf(media.thumbnails.get("a.test", text, req, local))).status).toBe(400);
  expect(renders).toBe(0);
});

test("the sweep drops expired ids, old remote media, then least recently used remote media over the cap", async () => {
  setup({ remoteMaxAgeMs: 1_000, remoteCacheCap: 15 });
  const put = async (mediaId: string, text: string, at: number) => {
    const w = await files.write(new TextEncoder().encode(text));
    storage.media.insert({ origin: "b.test", mediaId, kind: "remote", sha256: w.sha256, size: w.size, contentType: null, filename: null, uploader: null, createdTs: at });
    w.release();
    return w.sha256;
  };
  const oldSha = await put("old", "old remote", clock.now() - 5_000);
  await put("r1", "remote one", clock.now() - 300);
  await put("r2", "remote two", clock.now() - 200);
  await put("r3", "remote three", clock.now() - 100);
  media.uploads.create(alice);
  clock.advance(60_001);
  setup({ remoteMaxAgeMs: 70_000, remoteCacheCap: 15 });
  const result = await media.retention.sweep();
  expect(result.expiredPending).toBe(1);
  expect(storage.media.get("b.test", "old")).toBeNull();
  expect(await files.file(oldSha).exists()).toBe(false);
  expect(storage.media.get("b.test", "r1")).toBeNull(); // least recently used beyond the cap
  expect(storage.media.get("b.test", "r2")).toBeNull();
  expect(storage.media.get("b.test", "r3")).not.toBeNull();
  expect(storage.media.usage("remote")).toBeLessThanOrEqual(15);
  expect(result.remoteDropped).toBe(3);
});

test("the sweep never removes a file an upload of the same content is about to use", async () => {
  setup({ remoteMaxAgeMs: 1 });
  const bytes = new TextEncoder().encode("shared content");
  const cached = await files.write(bytes);
  storage.media.insert({ origin: "b.test", mediaId: "r", kind: "remote", sha256: cached.sha256, size: cached.size, contentType: null, filename: null, uploader: null, createdTs: clock.now() - 10 });
  cached.release();
  const inFlight = await files.write(bytes); // an upload between rename and commit
  await media.retention.sweep();
  expect(storage.media.get("b.test", "r")).toBeNull();
  expect(await files.file(inFlight.sha256).exists()).toBe(true);
  inFlight.release();
});
