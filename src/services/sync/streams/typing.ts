/**
 * The typing stream (spec "Typing Notifications"): `m.typing` in the ephemeral events of joined
 * rooms where it changed since the token, or where someone types in a room new to the client.
 * It lives in memory: after a restart (a token of another epoch) every room's typing is sent.
 */
import type { TypingService } from "../../edus/typing";
import type { SyncStream } from "./stream";

export function typingStream(typing: TypingService): SyncStream {
  return {
    key: "typing",
    inMemory: true,
    position: () => typing.position(),
    section(req, since) {
      const matcher = req.filter.room.ephemeral;
      return {
        news: false,
        inRoom(roomId, full) {
          if (!matcher.allowsRoom(roomId) || !matcher.matches({ type: "m.typing", room_id: roomId })) return undefined;
          const users = typing.typingUsers(roomId);
          const news = full ? users.length > 0 : since === undefined || typing.changedAt(roomId) > since;
          return news ? { ephemeral: [{ type: "m.typing", content: { user_ids: users } }] } : undefined;
        },
      };
    },
  };
}
