/**
 * `conduit compact`: rebuilds the database file without its free pages (`VACUUM`), at the page
 * size of a new database, and folds the WAL back in. It rewrites the whole file, so it needs the
 * database to itself: with the server running it refuses rather than stall the server's writes for
 * the whole rebuild.
 */
import { parseOptions, UsageError, type Command } from "./command";
import { openToolStorage, ToolError } from "./tool-storage";

const megabytes = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;

export const compact: Command = {
  words: ["compact"],
  synopsis: "",
  summary: "Rebuild the database file without free space (with the server stopped).",
  async run(args, io) {
    const opts = parseOptions(args, {});
    if (opts.positional.length > 0) throw new UsageError("takes no arguments");
    const { storage, besideServer } = await openToolStorage(opts.values.get("config"), (w) => io.err(`warning: ${w}`));
    try {
      if (besideServer) throw new ToolError("the server is running on this database: stop it first (compacting rewrites the whole file)");
      const before = storage.maintenance.size();
      storage.maintenance.compact();
      const after = storage.maintenance.size();
      io.out(`compacted: ${megabytes(before.bytes)} -> ${megabytes(after.bytes)} (${megabytes(before.freeBytes)} of free pages given back)`);
      return 0;
    } finally {
      storage.close();
    }
  },
};
