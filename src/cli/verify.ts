/**
 * `conduit verify`: the checks that read everything, kept off the server's start path: SQLite's
 * full integrity check (every page and index entry), references to rows that do not exist
 * (current state, memberships, extremities, state groups), and the media folder against the
 * database (files the database uses that are missing, files nothing uses). It only reads and
 * reports; it exits 1 when it found damage. Works with the server stopped or running (beside a
 * running server, an upload finishing during the check can show as an unused file).
 */
import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { databaseFile } from "../config";
import { mediaDirectory } from "../services/media";
import { checkIntegrity } from "../storage";
import { createMediaFileStore } from "../storage/media-files";
import { parseOptions, UsageError, type Command, type CommandIo } from "./command";
import { loadToolConfig, openToolDatabase } from "./tool-storage";

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Problems of one kind printed by name; the rest are counted. */
const LISTED = 10;

const megabytes = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;

export const verify: Command = {
  words: ["verify"],
  synopsis: "",
  summary: "Check the database (every page and index, dangling references) and the media folder; exit 1 on damage.",
  async run(args, io) {
    const opts = parseOptions(args, {});
    if (opts.positional.length > 0) throw new UsageError("takes no arguments");
    const config = await loadToolConfig(opts.values.get("config"), (w) => io.err(`warning: ${w}`));
    // First, and on its own connection: a damaged file may not even open as the tools open it.
    const integrity = checkIntegrity(databaseFile(config));
    if (!integrity.ok) {
      io.out(`integrity: ${integrity.problems.length} problems`);
      for (const p of integrity.problems.slice(0, LISTED)) io.out(`  ${p}`);
      io.out("verify: damage found (restore the last backup: docs/operations.md)");
      return 1;
    }
    io.out(`integrity: ok (${(integrity.ms / 1000).toFixed(1)} s)`);
    const { storage } = openToolDatabase(config);
    let damaged = false;
    try {
      const dangling = storage.maintenance.danglingReferences();
      if (dangling.length === 0) io.out("references: ok");
      else {
        damaged = true;
        for (const d of dangling) io.out(`references: ${d.count} ${d.what}`);
      }
      const media = checkMedia(storage.media.contentHashes(), mediaDirectory(config), config.media.directory_structure, io);
      damaged ||= media.missing > 0;
    } finally {
      storage.close();
    }
    io.out(damaged ? "verify: damage found" : "verify: no damage found");
    return damaged ? 1 : 0;
  },
};

/** The media folder against the hashes the database uses. */
function checkMedia(used: readonly string[], root: string, layout: { depth: number; length: number }, io: CommandIo): { missing: number } {
  // Only paths are asked of the store: opening it would empty the live store's tmp folder.
  const store = createMediaFileStore({ root, ...layout });
  const onDisk = new Map<string, number>();
  for (const entry of listFiles(root)) {
    const parts = relative(root, entry.path).split(sep);
    if (parts[0] === "tmp") continue;
    const hash = parts.join("");
    if (SHA256_HEX.test(hash) && store.file(hash).name === entry.path) onDisk.set(hash, entry.size);
  }
  const usedSet = new Set(used);
  const missing = used.filter((h) => !onDisk.has(h));
  const unused = [...onDisk].filter(([h]) => !usedSet.has(h));
  io.out(`media: ${used.length} files used, ${missing.length === 0 ? "all present" : `${missing.length} missing`}`);
  for (const h of missing.slice(0, LISTED)) io.out(`  missing: ${store.file(h).name}`);
  if (unused.length > 0) {
    const bytes = unused.reduce((n, [, size]) => n + size, 0);
    io.out(`media: ${unused.length} files nothing uses (${megabytes(bytes)}; the retention sweep or a manual delete can remove them)`);
  }
  return { missing: missing.length };
}

function listFiles(root: string): { path: string; size: number }[] {
  let entries;
  try {
    entries = readdirSync(root, { recursive: true, withFileTypes: true });
  } catch {
    return []; // no media folder yet: nothing uploaded
  }
  return entries.filter((e) => e.isFile()).map((e) => {
    const path = join(e.parentPath, e.name);
    return { path, size: Bun.file(path).size };
  });
}
