/**
 * `conduit backup PATH`: a consistent copy of the database and of every media file it uses, into
 * the folder PATH, with the server running or stopped. The database copy is one read transaction
 * (`VACUUM INTO`): the state as of one commit, with nothing of a half-written request. Media
 * files come after it and are the ones that copy names; they are immutable and named by their
 * SHA-256, so a file already in PATH (an earlier backup into the same folder) is the same content
 * and is skipped. Each file is written under a temporary name and renamed when complete, so an
 * interrupted backup never leaves a partial file under a final name. Restore: docs/operations.md.
 */
import { copyFile, mkdir, rename, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { mediaDirectory } from "../services/media";
import { createStorage, openDatabase } from "../storage";
import { createMediaFileStore } from "../storage/media-files";
import { parseOptions, UsageError, type Command, type CommandIo } from "./command";
import { openToolStorage, ToolError } from "./tool-storage";

/** The backup's database file inside PATH. */
export const BACKUP_DATABASE = "conduit.db";
/** The backup's media folder inside PATH (the default layout of `[global.media]`). */
export const BACKUP_MEDIA = "media";

const PROGRESS_EVERY_MS = 2_000;

const megabytes = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export const backup: Command = {
  words: ["backup"],
  synopsis: "PATH",
  summary: "Copy the database (consistent, while the server runs or not) and its media files into the folder PATH.",
  async run(args, io) {
    const opts = parseOptions(args, {});
    if (opts.positional.length !== 1) throw new UsageError("give exactly one backup folder");
    const target = resolve(opts.positional[0]!);
    const databaseCopy = join(target, BACKUP_DATABASE);
    if (await exists(databaseCopy)) throw new ToolError(`${databaseCopy} exists already: back up into a new folder, or move the old backup away`);
    const { config, storage, besideServer } = await openToolStorage(opts.values.get("config"), (w) => io.err(`warning: ${w}`));
    try {
      await mkdir(target, { recursive: true });
      const partial = `${databaseCopy}.partial`;
      await Bun.file(partial).delete().catch(() => {});
      const takenAt = new Date().toISOString();
      storage.maintenance.copyInto(partial);
      await rename(partial, databaseCopy);
      const size = (await stat(databaseCopy)).size;
      io.err(`backup: database copied (${megabytes(size)}, as of ${takenAt}${besideServer ? ", beside the running server" : ""})`);
      const media = await copyMedia(databaseCopy, mediaDirectory(config), join(target, BACKUP_MEDIA), config.media.directory_structure, io);
      io.out(
        `backup written to ${target}: database ${megabytes(size)}, ${media.copied} media files copied (${megabytes(media.bytes)}), ` +
          `${media.present} already there${media.missing > 0 ? `, ${media.missing} missing from the media folder` : ""}`,
      );
      return 0;
    } finally {
      storage.close();
    }
  },
};

interface MediaCopy {
  copied: number;
  present: number;
  missing: number;
  bytes: number;
}

/** Copies the files the backup's own database uses, so the two always agree. */
async function copyMedia(
  databaseCopy: string,
  sourceRoot: string,
  targetRoot: string,
  layout: { depth: number; length: number },
  io: CommandIo,
): Promise<MediaCopy> {
  const copy = openDatabase(databaseCopy, { readonly: true });
  let hashes: string[];
  try {
    hashes = createStorage(copy).media.contentHashes();
  } finally {
    copy.close();
  }
  // Only paths are asked of these stores: opening them would empty the live store's tmp folder.
  const source = createMediaFileStore({ root: sourceRoot, ...layout });
  const dest = createMediaFileStore({ root: targetRoot, ...layout });
  const result: MediaCopy = { copied: 0, present: 0, missing: 0, bytes: 0 };
  let lastProgress = performance.now();
  for (const [i, hash] of hashes.entries()) {
    const from = source.file(hash).name!;
    const to = dest.file(hash).name!;
    if (await exists(to)) result.present++;
    else if (!(await exists(from))) {
      result.missing++;
      io.err(`warning: media file ${hash} is used by the database but missing from ${sourceRoot}`);
    } else {
      await mkdir(dirname(to), { recursive: true });
      await copyFile(from, `${to}.partial`);
      await rename(`${to}.partial`, to);
      result.copied++;
      result.bytes += (await stat(to)).size;
    }
    if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
      io.err(`backup: media ${i + 1} of ${hashes.length} files (${megabytes(result.bytes)} copied)`);
      lastProgress = performance.now();
    }
  }
  return result;
}
