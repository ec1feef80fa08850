// The content-addressed file store: files are named by their SHA-256 in Conduit's folder layout,
// identical content is one file, a body over the limit or a failing stream leaves nothing behind,
// leftovers of a crash are cleared when the store opens, and in-flight content is never removed.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ContentTooLargeError, createMediaFileStore } from "../../src/storage/media-files";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "conduit-media-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const sha = (bytes: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
const streamOf = (...chunks: Uint8Array[]) => new ReadableStream<Uint8Array>({
  start(c) {
    for (const chunk of chunks) c.enqueue(chunk);
    c.close();
  },
});

test("content is stored under its SHA-256 in depth x length folders, once per content", async () => {
  const store = createMediaFileStore({ root, depth: 2, length: 2 });
  const bytes = new TextEncoder().encode("hello media");
  const a = await store.write(streamOf(bytes.subarray(0, 5), bytes.subarray(5)));
  a.release();
  const h = sha(bytes);
  expect(a).toMatchObject({ sha256: h, size: bytes.length });
  const path = join(root, h.slice(0, 2), h.slice(2, 4), h.slice(4));
  expect(await Bun.file(path).text()).toBe("hello media");
  expect(await store.file(h).text()).toBe("hello media");
  const b = await store.write(bytes);
  b.release();
  expect(b.sha256).toBe(h);
  expect(readdirSync(join(root, h.slice(0, 2), h.slice(2, 4)))).toEqual([h.slice(4)]);
  expect(readdirSync(join(root, "tmp"))).toEqual([]);
});

test("a flat layout (no folders) is Conduit's empty directory_structure", async () => {
  const store = createMediaFileStore({ root, depth: 0, length: 2 });
  const w = await store.write(new TextEncoder().encode("x"));
  expect(existsSync(join(root, w.sha256))).toBe(true);
});

test("more than the limit is refused while it streams, and nothing is left", async () => {
  const store = createMediaFileStore({ root, depth: 2, length: 2 });
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array(1024));
    },
  });
  const error = await store.write(endless, 10_000).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ContentTooLargeError);
  expect((error as ContentTooLargeError).limit).toBe(10_000);
  expect(pulled).toBeLessThan(20); // stopped reading soon after the limit, not at the end
  expect(readdirSync(root)).toEqual(["tmp"]);
  expect(readdirSync(join(root, "tmp"))).toEqual([]);
  expect(store.inFlight()).toBe(0);
});

test("a stream that fails midway stores nothing", async () => {
  const store = createMediaFileStore({ root, depth: 2, length: 2 });
  const failing = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new Uint8Array(10));
      c.error(new Error("connection reset"));
    },
  });
  await expect(store.write(failing)).rejects.toThrow("connection reset");
  expect(readdirSync(join(root, "tmp"))).toEqual([]);
  expect(readdirSync(root)).toEqual(["tmp"]);
});

test("leftover partial files of a crash are removed when the store opens, not before", () => {
  createMediaFileStore({ root, depth: 2, length: 2 }).open();
  writeFileSync(join(root, "tmp", "dead.part"), "half a file");
  const store = createMediaFileStore({ root, depth: 2, length: 2 });
  expect(readdirSync(join(root, "tmp"))).toEqual(["dead.part"]); // creating a store touches nothing
  store.open();
  expect(readdirSync(join(root, "tmp"))).toEqual([]);
});

test("content in flight is kept by remove until released; then removed; missing files are fine", async () => {
  const store = createMediaFileStore({ root, depth: 2, length: 2 });
  const w = await store.write(new TextEncoder().encode("keep me"));
  expect(await store.remove(w.sha256)).toBe(false);
  expect(await store.file(w.sha256).exists()).toBe(true);
  w.release();
  w.release(); // idempotent
  expect(await store.remove(w.sha256)).toBe(true);
  expect(await store.file(w.sha256).exists()).toBe(false);
  expect(await store.remove(w.sha256)).toBe(true);
  expect(() => store.file("../../etc/passwd")).toThrow();
});
