// Media metadata: ids are taken once, reserved ids are filled once before they expire, usage per
// scope and per user follows inserts and deletes, deleting reports exactly the hashes no row uses,
// thumbnails go with their media, and the least recently used remote media come first.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { createStorage, openDatabase, type Storage } from "../../src/storage";
import type { NewMedia } from "../../src/storage/media";

let storage: Storage;
beforeEach(() => {
  storage = createStorage(openDatabase(":memory:"));
});
afterEach(() => storage.close());

const media = () => storage.media;
const hash = (c: string) => c.repeat(64);
const upload = (mediaId: string, over: Partial<NewMedia> = {}): NewMedia => ({
  origin: "a.test", mediaId, kind: "local", sha256: hash("a"), size: 100, contentType: "image/png",
  filename: "cat.png", uploader: "@alice:a.test", createdTs: 1_000, ...over,
});

test("an id is stored once; the second insert changes nothing", () => {
  expect(media().insert(upload("m1"))).toBe(true);
  expect(media().insert(upload("m1", { size: 5, sha256: hash("b") }))).toBe(false);
  expect(media().get("a.test", "m1")).toMatchObject({ sha256: hash("a"), size: 100, kind: "local", filename: "cat.png" });
  expect(media().get("a.test", "nope")).toBeNull();
});

test("a reserved id is filled once, before it expires, and counts as pending until then", () => {
  expect(media().reserve("a.test", "p1", "@alice:a.test", 1_000, 5_000)).toBe(true);
  expect(media().reserve("a.test", "p1", "@bob:a.test", 1_000, 5_000)).toBe(false);
  media().reserve("a.test", "p2", "@alice:a.test", 1_000, 2_000);
  expect(media().countPending("@alice:a.test", 1_500)).toBe(2);
  expect(media().countPending("@alice:a.test", 2_500)).toBe(1);
  const content = { sha256: hash("c"), size: 7, contentType: "text/plain", filename: null };
  expect(media().completePending("a.test", "p2", content, 2_500)).toBe(false); // expired
  expect(media().completePending("a.test", "p1", content, 3_000)).toBe(true);
  expect(media().completePending("a.test", "p1", { ...content, size: 9 }, 3_100)).toBe(false); // no overwrite
  expect(media().get("a.test", "p1")).toMatchObject({ sha256: hash("c"), size: 7, expires_ts: null, created_ts: 3_000 });
  expect(media().countPending("@alice:a.test", 3_000)).toBe(0);
  expect(media().deleteExpiredPending(3_000)).toBe(1);
  expect(media().get("a.test", "p2")).toBeNull();
});

test("usage per scope and per user follows inserts, fills and deletes", () => {
  media().insert(upload("m1", { size: 100 }));
  media().insert(upload("m2", { size: 50, uploader: "@bob:a.test", sha256: hash("b") }));
  media().insert(upload("r1", { origin: "b.test", kind: "remote", uploader: null, size: 1_000, sha256: hash("d") }));
  media().reserve("a.test", "p1", "@alice:a.test", 1_000, 9_000);
  media().completePending("a.test", "p1", { sha256: hash("e"), size: 30, contentType: null, filename: null }, 2_000);
  expect(media().usage("local")).toBe(180);
  expect(media().usage("remote")).toBe(1_000);
  expect(media().userUsage("@alice:a.test")).toBe(130);
  expect(media().userUsage("@bob:a.test")).toBe(50);
  media().insertThumbnail("a.test", "m1", { width: 32, height: 32, method: "crop", animated: false, contentType: "image/png", sha256: hash("f"), size: 9, createdTs: 1 });
  expect(media().usage("thumbnail")).toBe(9);
  media().delete("a.test", "m1");
  expect(media().usage("local")).toBe(80);
  expect(media().usage("thumbnail")).toBe(0);
  expect(media().userUsage("@alice:a.test")).toBe(30);
  expect(media().userUsage("@carol:a.test")).toBe(0);
});

test("deleting media removes its thumbnails and reports only the hashes nothing else uses", () => {
  media().insert(upload("m1", { sha256: hash("a") }));
  media().insert(upload("m2", { sha256: hash("a") })); // same content, deduplicated
  const thumb = { height: 32, method: "crop" as const, animated: false, contentType: "image/png", size: 9, createdTs: 1 };
  expect(media().insertThumbnail("a.test", "m1", { ...thumb, width: 32, sha256: hash("b") })).toBe(true);
  expect(media().insertThumbnail("a.test", "m1", { ...thumb, width: 32, sha256: hash("9") })).toBe(false);
  media().insertThumbnail("a.test", "m1", { ...thumb, width: 96, sha256: hash("c") });
  media().insertThumbnail("a.test", "m2", { ...thumb, width: 96, sha256: hash("c") });
  expect(media().thumbnails("a.test", "m1").map((t) => [t.width, t.sha256])).toEqual([[32, hash("b")], [96, hash("c")]]);
  expect(media().delete("a.test", "m1")).toEqual([hash("b")]);
  expect(media().thumbnails("a.test", "m1")).toEqual([]);
  expect(media().isReferenced(hash("a"))).toBe(true);
  expect(media().delete("a.test", "m2").sort()).toEqual([hash("a"), hash("c")]);
  expect(media().isReferenced(hash("a"))).toBe(false);
});

test("least recently used media of a kind come first, and access moves them back", () => {
  media().insert(upload("r1", { origin: "b.test", kind: "remote", uploader: null, createdTs: 10 }));
  media().insert(upload("r2", { origin: "b.test", kind: "remote", uploader: null, createdTs: 20 }));
  media().insert(upload("l1", { createdTs: 5 }));
  media().touch("b.test", "r1", 30);
  expect(media().leastRecentlyUsed("remote", 100, 10).map((m) => m.media_id)).toEqual(["r2", "r1"]);
  expect(media().leastRecentlyUsed("remote", 25, 10).map((m) => m.media_id)).toEqual(["r2"]);
  expect(media().leastRecentlyUsed("remote", 100, 1).map((m) => m.media_id)).toEqual(["r2"]);
});

test("a bad kind is refused, not silently dropped", () => {
  expect(() => media().insert(upload("m1", { kind: "other" as "local" }))).toThrow();
});

test("URL previews are cached until they expire", () => {
  media().putPreview("https://x.test/", 1_000, 2_000, '{"og:title":"X"}');
  expect(media().preview("https://x.test/", 1_500)).toEqual({ fetched_ts: 1_000, expires_ts: 2_000, og: '{"og:title":"X"}' });
  expect(media().preview("https://x.test/", 2_000)).toBeNull();
  media().putPreview("https://x.test/", 2_100, 3_000, '{"og:title":"Y"}');
  expect(media().preview("https://x.test/", 2_200)?.og).toBe('{"og:title":"Y"}');
  expect(media().deleteExpiredPreviews(3_000)).toBe(1);
});
