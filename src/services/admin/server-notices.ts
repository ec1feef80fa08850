/**
 * Server notices (spec "Server Notices", Synapse's `send_server_notice` admin API): messages from
 * the server user `@conduit` to one local user, in a room of their own that the server creates on
 * the first notice, invites them to and tags `m.server_notice` for them (the tag is how a client,
 * and this module, know the room). Later notices go to the same room while the user is in it or
 * invited; a user who left gets a new room.
 */
import type { JsonObject } from "../../core/types";
import { createLruMap } from "../../runtime/lru-map";
import type { Storage } from "../../storage";
import { actingAs } from "./guard";
import type { AccountDataService } from "../accounts/account-data";
import { isLocalUserId } from "../accounts/user-ids";
import type { Membership } from "../membership";
import { invalidParam, notFound } from "../matrix-error";
import type { Rooms } from "../rooms";

const TAG = "m.server_notice";
const SENT_REMEMBERED = 10_000;

export interface NoticeRequest {
  userId: string;
  content: JsonObject;
  /** Default `m.room.message`; with `state_key` a state event. */
  type?: string;
  stateKey?: string;
  /** Synapse's transaction id form: one notice per id. */
  txnId?: string;
}

export interface ServerNoticesDeps {
  storage: Storage;
  serverName: string;
  serverUserId: string;
  rooms: Rooms;
  membership: Membership;
  accountData: AccountDataService;
}

export function createServerNotices({ storage, serverName, serverUserId, rooms, membership, accountData }: ServerNoticesDeps) {
  // The transaction ids of recent notices (a retry within them gets the first event).
  const sent = createLruMap<string, string>({ maxEntries: SENT_REMEMBERED });

  /** The user's notice room they are still in (or invited to). */
  function noticeRoomOf(userId: string): string | undefined {
    for (const m of storage.memberships.forUser(userId)) {
      if (m.membership !== "join" && m.membership !== "invite") continue;
      if (storage.rooms.get(m.room_id)?.creator !== serverUserId) continue;
      if (Object.hasOwn(accountData.getTags(actingAs(userId), userId, m.room_id).tags, TAG)) return m.room_id;
    }
    return undefined;
  }

  async function createNoticeRoom(userId: string): Promise<string> {
    const { room_id: roomId } = await rooms.creation.createRoom(actingAs(serverUserId), { preset: "private_chat", name: "Server Notices" });
    await membership.invite(actingAs(serverUserId), roomId, userId);
    accountData.setTag(actingAs(userId), userId, roomId, TAG, { order: 0.5 });
    return roomId;
  }

  return {
    /** Sends the notice; returns its event id (the first one's again for a repeated transaction id). */
    async send(req: NoticeRequest): Promise<{ event_id: string }> {
      const { userId } = req;
      if (!isLocalUserId(userId, serverName)) throw invalidParam("Server notices go to local users only");
      const user = storage.accounts.getUser(userId);
      if (!user || user.deactivated) throw notFound(`${userId} is not an active user of this server`);
      const key = req.txnId === undefined ? undefined : `${userId}\u0000${req.txnId}`;
      const earlier = key === undefined ? undefined : sent.get(key);
      if (earlier) return { event_id: earlier };
      const roomId = noticeRoomOf(userId) ?? (await createNoticeRoom(userId));
      const draft = { type: req.type ?? "m.room.message", content: req.content, sender: serverUserId, ...(req.stateKey === undefined ? {} : { state_key: req.stateKey }) };
      const { eventId } = await rooms.send.send(roomId, draft);
      if (key !== undefined) sent.set(key, eventId);
      return { event_id: eventId };
    },
  };
}
export type ServerNotices = ReturnType<typeof createServerNotices>;
