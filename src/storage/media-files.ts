/**
 * The media file store: content on disk, one file per SHA-256 of its bytes, under
 * `root/ab/cd/<rest of the hash>` (Conduit's layout: `depth` folders of `length` hex digits each).
 * Content streams into a temporary file in `root/tmp`, is flushed to disk, and is renamed into place
 * only when complete and within its size limit, so a crash never leaves a partial file under a
 * content name; leftovers in `root/tmp` are removed when the store opens (`open`, which main calls
 * at start; any use opens it too).
 *
 * A hash stays "in flight" from its rename until the caller has committed the row that uses it
 * (`release`): a cleanup that deleted rows meanwhile must not remove the file the new row needs.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, rmSync } from "node:fs";
import { mkdir, open as openFile, rename, unlink } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";

/** The content was larger than the limit it was written under; nothing was stored. */
export class ContentTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`content is larger than ${limit} bytes`);
  }
}

export interface WrittenContent {
  sha256: string;
  size: number;
  /** Call once the row that uses the content is committed (or was not written). */
  release(): void;
}

export interface MediaFileStoreOptions {
  root: string;
  /** Folders between the root and a file (Conduit's `directory_structure.depth`, default 2). */
  depth: number;
  /** Hex digits per folder name (Conduit's `directory_structure.length`, default 2). */
  length: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function createMediaFileStore(opts: MediaFileStoreOptions) {
  if (opts.depth * opts.length >= 64) throw new Error("media directory_structure leaves no file name");
  const tmpDir = join(opts.root, "tmp");
  let opened = false;
  function open(): void {
    if (opened) return;
    mkdirSync(tmpDir, { recursive: true });
    for (const leftover of readdirSync(tmpDir)) rmSync(join(tmpDir, leftover), { force: true });
    opened = true;
  }

  const inFlight = new Map<string, number>();

  function pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${sha256}`);
    const parts: string[] = [];
    for (let i = 0; i < opts.depth; i++) parts.push(sha256.slice(i * opts.length, (i + 1) * opts.length));
    return join(opts.root, ...parts, sha256.slice(opts.depth * opts.length));
  }

  function hold(sha256: string): () => void {
    inFlight.set(sha256, (inFlight.get(sha256) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (inFlight.get(sha256) ?? 1) - 1;
      if (n === 0) inFlight.delete(sha256);
      else inFlight.set(sha256, n);
    };
  }

  /** Writes content from a stream or bytes, refusing more than `maxBytes` while it arrives. */
  async function write(source: ReadableStream<Uint8Array> | Uint8Array, maxBytes = Number.POSITIVE_INFINITY): Promise<WrittenContent> {
    open();
    const tmp = join(tmpDir, `${randomUUID()}.part`);
    const file = await openFile(tmp, "wx");
    const hasher = new Bun.CryptoHasher("sha256");
    let size = 0;
    try {
      const take = async (chunk: Uint8Array) => {
        size += chunk.byteLength;
        if (size > maxBytes) throw new ContentTooLargeError(maxBytes);
        hasher.update(chunk);
        await file.write(chunk);
      };
      if (source instanceof Uint8Array) await take(source);
      else for await (const chunk of source) await take(chunk);
      await file.sync();
    } catch (e) {
      await file.close();
      await unlink(tmp).catch(() => {});
      throw e;
    }
    await file.close();
    const sha256 = hasher.digest("hex");
    const target = pathOf(sha256);
    const release = hold(sha256);
    try {
      await mkdir(dirname(target), { recursive: true });
      // Same name, same bytes: replacing a file that already holds this content is harmless.
      await rename(tmp, target);
      syncDirectory(dirname(target));
    } catch (e) {
      release();
      await unlink(tmp).catch(() => {});
      throw e;
    }
    return { sha256, size, release };
  }

  return {
    open,
    write,

    /** The file of some content, for streaming it out (sizes, ranges). */
    file(sha256: string) {
      return Bun.file(pathOf(sha256));
    },

    /** Removes content no row uses; kept if a write of the same content is in flight. */
    async remove(sha256: string): Promise<boolean> {
      if (inFlight.has(sha256)) return false;
      await unlink(pathOf(sha256)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") throw e;
      });
      return true;
    },

    /** Hashes between their rename and their row's commit (for tests and diagnostics). */
    inFlight(): number {
      return inFlight.size;
    },
  };
}
export type MediaFileStore = ReturnType<typeof createMediaFileStore>;

/** Makes a rename durable: the directory entry is on disk once its directory is synced. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
