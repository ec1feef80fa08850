/**
 * `conduit purge-room ROOM [--force]`: removes everything this server holds of one room (its
 * events, state, memberships, aliases, receipts, push records, search index: `storage/room-purge`),
 * with the server stopped. A running server caches rooms and would not see the purge, so beside
 * one it refuses and names the admin API, which makes the members leave first. A room that local
 * users are still joined to or invited to is refused too unless `--force`: their leaves are never
 * sent, so other servers keep counting them as members.
 */
import { isLocalUserId } from "../services/accounts/user-ids";
import { parseOptions, UsageError, type Command } from "./command";
import { openToolStorage, ToolError } from "./tool-storage";

export const purgeRoom: Command = {
  words: ["purge-room"],
  synopsis: "ROOM [--force]",
  summary: "Remove a room (id or local alias) and all its data, with the server stopped; --force even with local members.",
  async run(args, io) {
    const opts = parseOptions(args, { flags: ["force"] });
    if (opts.positional.length !== 1) throw new UsageError("give exactly one room id or alias");
    const given = opts.positional[0]!;
    if (!given.startsWith("!") && !given.startsWith("#")) throw new UsageError(`${given} is neither a room id (!...) nor an alias (#...)`);
    const { config, storage, besideServer } = await openToolStorage(opts.values.get("config"), (w) => io.err(`warning: ${w}`));
    try {
      if (besideServer) {
        throw new ToolError("the server is running on this database: use the admin API (DELETE /_synapse/admin/v2/rooms/{roomId}) or the admin room's purge-room, or stop the server first");
      }
      const roomId = given.startsWith("#") ? storage.aliases.get(given)?.room_id : given;
      if (roomId === undefined || !storage.rooms.get(roomId)) throw new ToolError(`${given} is not a room this server knows`);
      const locals = [...storage.memberships.usersWith(roomId, "join"), ...storage.memberships.usersWith(roomId, "invite")].filter((u) =>
        isLocalUserId(u, config.server_name),
      );
      if (locals.length > 0 && !opts.flags.has("force")) {
        throw new ToolError(
          `${locals.length} local users are still in ${roomId} (${locals.slice(0, 5).join(", ")}${locals.length > 5 ? ", ..." : ""}): ` +
            "make them leave through the running server's admin API, or give --force",
        );
      }
      const events = storage.roomPurge.purgeRoom(roomId);
      io.out(`purged ${roomId}: ${events} events${locals.length > 0 ? ` (${locals.length} local members removed without a leave)` : ""}`);
      return 0;
    } finally {
      storage.close();
    }
  },
};
