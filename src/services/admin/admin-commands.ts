/**
 * The text commands of the admin room, with Conduit's names: each takes the words after its name
 * (and, for `register-appservice`, the YAML in a code block below the command line) and returns
 * the answer the server user posts. A refused command answers with the reason; nothing changes.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../../runtime/clock";
import type { Storage } from "../../storage";
import type { AppserviceRegistry } from "../appservices/registry";
import { localUserId, createLocalUser } from "./user-creation";
import type { AccountsService } from "../accounts/users";
import { MatrixError } from "../matrix-error";
import type { AdminRooms } from "./rooms";
import type { RoomDeletion } from "./room-deletion";

export interface CommandInput {
  /** The words after the command's name. */
  args: string[];
  /** Everything after the command line (a code block, for register-appservice). */
  body: string;
  /** The admin who sent it. */
  sender: string;
}

interface AdminCommand {
  usage: string;
  summary: string;
  run(input: CommandInput): Promise<string> | string;
}

class CommandError extends Error {}

export interface AdminCommandsDeps {
  storage: Storage;
  clock: Clock;
  serverName: string;
  /** The server user, which no command may deactivate. */
  serverUserId: string;
  users: AccountsService;
  rooms: AdminRooms;
  deletion: RoomDeletion;
  appservices: AppserviceRegistry;
}

const newPassword = () => randomBytes(18).toString("base64url");

/** The YAML of a ```yaml (or plain ```) code block. */
function codeBlock(body: string): string {
  const match = /```[a-zA-Z]*\n([\s\S]*?)```/.exec(body);
  if (!match) throw new CommandError("Put the registration YAML in a code block (```yaml ... ```) below the command line");
  return match[1]!;
}

function exactly(args: string[], n: number, usage: string): void {
  if (args.length !== n) throw new CommandError(`Usage: ${usage}`);
}

export function createAdminCommands(deps: AdminCommandsDeps) {
  const { storage, serverName } = deps;
  const userOf = (name: string) => {
    const userId = localUserId(name, serverName);
    if (!storage.accounts.getUser(userId)) throw new CommandError(`${userId} does not exist`);
    return userId;
  };

  async function deleteRoom(roomId: string, sender: string, purge: boolean): Promise<string> {
    const { delete_id, done } = deps.deletion.start(sender, roomId, { block: true, purge, forcePurge: purge });
    await done;
    const status = deps.deletion.byId(delete_id);
    if (status.status === "failed") throw new CommandError(`Deleting ${roomId} failed: ${status.error}`);
    const kicked = status.shutdown_room.kicked_users;
    return `${roomId} is ${purge ? "purged" : "deleted"} and blocked; ${kicked.length} local member(s) left it${kicked.length ? `: ${kicked.join(", ")}` : ""}.`;
  }

  const commands: Record<string, AdminCommand> = {
    help: {
      usage: "help",
      summary: "Lists the commands.",
      run: () => Object.entries(commands).map(([, c]) => `${c.usage}\n    ${c.summary}`).join("\n"),
    },
    "list-users": {
      usage: "list-users",
      summary: "Lists the active local accounts (admins marked).",
      run: () => {
        const { rows, total } = storage.accounts.listUsers({ guests: true, deactivated: false, orderBy: "name", backwards: false, offset: 0, limit: 1000 });
        return [`${total} local user(s):`, ...rows.map((u) => `${u.user_id}${u.admin ? " (admin)" : ""}`)].join("\n");
      },
    },
    "create-user": {
      usage: "create-user USERNAME [PASSWORD]",
      summary: "Creates an account; without a password one is generated and shown.",
      run: async ({ args }) => {
        if (args.length < 1 || args.length > 2) throw new CommandError("Usage: create-user USERNAME [PASSWORD]");
        const password = args[1] ?? newPassword();
        const userId = await createLocalUser(storage, deps.clock, serverName, { name: args[0]!, password, admin: false });
        return `Created ${userId}${args[1] === undefined ? ` with the password ${password}` : ""}.`;
      },
    },
    "reset-password": {
      usage: "reset-password USERNAME",
      summary: "Sets a new generated password and ends the account's sessions.",
      run: async ({ args }) => {
        exactly(args, 1, "reset-password USERNAME");
        const userId = userOf(args[0]!);
        if (storage.accounts.getUser(userId)!.deactivated) throw new CommandError(`${userId} is deactivated`);
        const password = newPassword();
        await deps.users.resetPassword(userId, password, true);
        return `The password of ${userId} is now ${password}`;
      },
    },
    "deactivate-user": {
      usage: "deactivate-user USER_ID",
      summary: "Deactivates an account: its sessions end and it leaves its rooms.",
      run: async ({ args }) => {
        exactly(args, 1, "deactivate-user USER_ID");
        const userId = userOf(args[0]!);
        if (userId === deps.serverUserId) throw new CommandError("The server user cannot be deactivated");
        if (storage.accounts.getUser(userId)!.deactivated) return `${userId} is already deactivated.`;
        await deps.users.deactivateByAdmin(userId);
        return `${userId} is deactivated.`;
      },
    },
    "list-rooms": {
      usage: "list-rooms",
      summary: "Lists the rooms this server knows, biggest first.",
      run: () => {
        const { rooms, total_rooms } = deps.rooms.list({ orderBy: "joined_members", backwards: false, offset: 0, limit: 1000 });
        return [`${total_rooms} room(s):`, ...rooms.map((r) => `${r.room_id}\t${r.joined_members} member(s)\t${r.name ?? r.canonical_alias ?? ""}`)].join("\n");
      },
    },
    "delete-room": {
      usage: "delete-room ROOM_ID",
      summary: "Makes every local member leave, removes its aliases and blocks it; its history stays in the database.",
      run: ({ args, sender }) => {
        exactly(args, 1, "delete-room ROOM_ID");
        return deleteRoom(args[0]!, sender, false);
      },
    },
    "purge-room": {
      usage: "purge-room ROOM_ID",
      summary: "As delete-room, then removes everything this server holds of the room.",
      run: ({ args, sender }) => {
        exactly(args, 1, "purge-room ROOM_ID");
        return deleteRoom(args[0]!, sender, true);
      },
    },
    "list-appservices": {
      usage: "list-appservices",
      summary: "Lists the application services (from files and registered here).",
      run: () => {
        const list = deps.appservices.list();
        return [`${list.length} appservice(s):`, ...list.map((a) => `${a.id}\t${a.source === "file" ? a.path : "registered here"}\t${a.url ?? "(no url)"}`)].join("\n");
      },
    },
    "register-appservice": {
      usage: "register-appservice\n```yaml\n<registration>\n```",
      summary: "Registers an application service from the YAML below the command; it is live at once.",
      run: ({ body }) => {
        const info = deps.appservices.register(codeBlock(body));
        return `Registered the appservice ${info.id} (sender ${info.senderUserId}).`;
      },
    },
    "unregister-appservice": {
      usage: "unregister-appservice ID",
      summary: "Unregisters an application service registered here.",
      run: ({ args }) => {
        exactly(args, 1, "unregister-appservice ID");
        deps.appservices.unregister(args[0]!);
        return `Unregistered the appservice ${args[0]}.`;
      },
    },
    "show-stats": {
      usage: "show-stats",
      summary: "Counts accounts, rooms, events and bytes.",
      run: () => {
        const s = storage.serverStats.stats();
        return [
          `local users: ${s.local_users}`,
          `rooms: ${s.rooms}`,
          `events: ${s.events}`,
          `local media: ${s.local_media_bytes} bytes`,
          `database: ${s.database_bytes} bytes`,
        ].join("\n");
      },
    },
  };
  // Conduit's name for the user list.
  const aliases: Record<string, string> = { "list-local-users": "list-users" };

  return {
    /** Runs one command; the answer is the text to post (errors included, as sentences). */
    async run(name: string, input: CommandInput): Promise<string> {
      const command = commands[aliases[name] ?? name];
      if (!command) return `Unknown command "${name}". Send "help" for the list.`;
      try {
        return await command.run(input);
      } catch (e) {
        if (e instanceof CommandError || e instanceof MatrixError) return `Error: ${e.message}`;
        throw e;
      }
    },
  };
}
export type AdminCommands = ReturnType<typeof createAdminCommands>;
