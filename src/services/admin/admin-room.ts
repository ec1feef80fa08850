/**
 * Conduit's admin room: `#admins:<server_name>`, created by the server user `@conduit` at the first
 * start, with the server's admins invited (at each start those not yet in it, and anyone promoted
 * while the server runs). An admin's message that addresses the server user (`@conduit:<server>:
 * help`, `conduit: help` or `!admin help`) runs an admin command; the answer is a notice from the
 * server user. Messages from others, and every other message, are left alone.
 */
import type { JsonObject } from "../../core/types";
import type { Clock } from "../../runtime/clock";
import type { Logger } from "../../runtime/logger";
import type { Storage } from "../../storage";
import type { Requester } from "../accounts/access-tokens";
import { errorMessage } from "../../core";
import type { Membership } from "../membership";
import type { Rooms } from "../rooms";
import type { AdminCommands } from "./admin-commands";
import type { AdminGuard } from "./guard";

export interface AdminRoomDeps {
  storage: Storage;
  clock: Clock;
  log: Logger;
  serverName: string;
  rooms: Rooms;
  membership: Membership;
  guard: AdminGuard;
  commands: AdminCommands;
}

/** The server user, as Conduit names it: it creates the admin room and answers commands there. */
export const serverUserIdOf = (serverName: string) => `@conduit:${serverName}`;

const escapeHtml = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

export function createAdminRoom({ storage, clock, log, serverName, rooms, membership, guard, commands }: AdminRoomDeps) {
  const serverUserId = serverUserIdOf(serverName);
  const alias = `#admins:${serverName}`;
  const server: Requester = { userId: serverUserId, deviceId: "", isGuest: false };
  const prefixes = [`${serverUserId}:`, serverUserId, "conduit:", "!admin"];
  let roomId: string | undefined;

  /** The command line a message holds, or undefined when it does not address the server user. */
  function commandOf(body: string): { name: string; args: string[]; rest: string } | undefined {
    const trimmed = body.trimStart();
    const prefix = prefixes.find((p) => trimmed.startsWith(p) && /^\s/.test(trimmed.slice(p.length)));
    if (!prefix) return undefined;
    const text = trimmed.slice(prefix.length).trimStart();
    const newline = text.indexOf("\n");
    const line = newline < 0 ? text : text.slice(0, newline);
    const [name, ...args] = line.trim().split(/\s+/);
    if (!name) return undefined;
    return { name, args, rest: newline < 0 ? "" : text.slice(newline + 1) };
  }

  async function reply(text: string): Promise<void> {
    const content: JsonObject = { msgtype: "m.notice", body: text, format: "org.matrix.custom.html", formatted_body: `<pre><code>${escapeHtml(text)}</code></pre>` };
    await rooms.send.send(roomId!, { type: "m.room.message", content, sender: serverUserId });
  }

  async function handle(sender: string, body: string): Promise<void> {
    const command = commandOf(body);
    if (!command) return;
    if (!guard.isAdmin(sender)) {
      await reply(`${sender} is not a server admin.`);
      return;
    }
    log.info("admin action", { admin: sender, action: `admin room: ${command.name}`, args: command.name === "create-user" ? command.args.slice(0, 1) : command.args });
    const answer = await commands.run(command.name, { args: command.args, body: command.rest, sender });
    await reply(answer);
  }

  // Commands are read from every local message as it is stored, and run once it is committed.
  rooms.send.onLocalEvent((head, pdu) => {
    if (head.roomId !== roomId || pdu.type !== "m.room.message" || pdu.sender === serverUserId) return;
    const body = pdu.content.body;
    if (typeof body !== "string") return;
    setImmediate(() => {
      handle(pdu.sender, body).catch((e: unknown) => log.warn("admin room command failed", { error: errorMessage(e) }));
    });
  });

  /** Invites an admin who has never been in the room (one who left stays out). */
  async function invite(userId: string): Promise<void> {
    if (!roomId || storage.memberships.get(roomId, userId)) return;
    await membership.invite(server, roomId, userId);
  }

  return {
    serverUserId,
    alias,
    get roomId(): string | undefined {
      return roomId;
    },

    /**
     * At start: the server user and the room exist (created the first time), and every admin not
     * yet in it is invited. A human account already named `@conduit` leaves the server without an
     * admin room, with a warning.
     */
    async ensure(): Promise<void> {
      const existing = storage.accounts.getUser(serverUserId);
      if (existing?.password_hash) {
        log.warn("no admin room: the server user's id belongs to an account with a password", { user_id: serverUserId });
        return;
      }
      if (!existing) storage.accounts.insertUser({ userId: serverUserId, passwordHash: null, displayname: "Conduit", isGuest: false, createdTs: clock.now() });
      const aliased = storage.aliases.get(alias);
      if (aliased && storage.memberships.get(aliased.room_id, serverUserId)?.membership !== "join") {
        log.warn("no admin room: its alias points to a room the server user is not in", { alias, room_id: aliased.room_id });
        return;
      }
      roomId = aliased?.room_id ?? (await rooms.creation.createRoom(server, {
        preset: "private_chat",
        room_alias_name: "admins",
        name: "Admin Room",
        topic: `Manage ${serverName}: send "@conduit:${serverName}: help"`,
      })).room_id;
      if (!aliased) log.info("admin room created", { room_id: roomId, alias });
      const { rows } = storage.accounts.listUsers({ admins: true, guests: false, deactivated: false, orderBy: "creation_ts", backwards: false, offset: 0, limit: 1000 });
      for (const admin of rows) await invite(admin.user_id);
    },

    /** A user just made an admin: into the admin room. */
    invite,
  };
}
export type AdminRoom = ReturnType<typeof createAdminRoom>;
