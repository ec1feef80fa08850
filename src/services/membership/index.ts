/**
 * Wires the membership area (spec "Room membership"): the one entry point for every membership
 * action of our users, whether it stays on this server (`local.ts`) or needs another one
 * (`remote.ts`: make_/send_ join, knock and leave; `invites.ts`), and the invites other servers
 * send us. It is built over the rooms and federation areas, which is why it is an area of its own.
 */
import { assertNotSuspended, isRateLimited, type Requester } from "../accounts/access-tokens";
import type { JsonObject } from "../../core/types";
import type { AccountDataService } from "../accounts/account-data";
import type { AccountEvents } from "../accounts/account-events";
import type { Federation } from "../federation";
import type { Push } from "../push";
import type { Rooms } from "../rooms";
import { createInvites } from "./invites";
import { createJoinAnswers } from "./join-answer";
import { createMembershipService } from "./local";
import { createOutOfRoomMemberships } from "./out-of-room";
import { createRemoteMembership } from "./remote";
import { createReplacementRooms } from "./replacement-room";
import type { SharedDeps } from "../shared-deps";
import { forbidden } from "../matrix-error";

export interface MembershipAreaDeps extends SharedDeps {
  accountEvents: AccountEvents;
  accountData: AccountDataService;
  rooms: Rooms;
  federation: Federation;
  push: Pick<Push, "events" | "rules">;
}

export function buildMembership(deps: MembershipAreaDeps) {
  const { config, storage, clock, log, signingKey, notifier, rooms, federation } = deps;
  const serverName = config.server_name;
  const local = createMembershipService({
    storage,
    events: rooms.send,
    serverName,
    resolveRoom: (r) => rooms.directory.resolveRoom(r),
    guestsCanJoin: (r) => rooms.summaries.summary(r)?.guest_can_join === true,
  });
  const joinAnswers = createJoinAnswers({
    roomQueue: rooms.queue,
    roomHeads: rooms.heads,
    roomState: rooms.state,
    eventStore: rooms.eventStore,
    persister: rooms.persister,
    notifier,
    storage,
    clock,
    checker: federation.checker,
  });
  const recordOutOfRoom = createOutOfRoomMemberships({ storage, clock, notifier, onInvite: (pdu, stripped) => deps.push.events.onOutOfRoomInvite(pdu, stripped) });
  const remote = createRemoteMembership({
    serverName,
    signingKey,
    storage,
    clock,
    log,
    client: federation.client,
    view: federation.view,
    local,
    directory: rooms.directory,
    aliases: federation.directory,
    joinAnswers,
    recordOutOfRoom,
  });
  const invites = createInvites({
    serverName,
    signingKey,
    storage,
    log,
    client: federation.client,
    checker: federation.checker,
    view: federation.view,
    inbound: federation.inbound,
    sender: federation.outbound,
    local,
    roomHeads: rooms.heads,
    eventStore: rooms.eventStore,
    eventBuilder: rooms.builder,
    recordOutOfRoom,
    participating: remote.participating,
    allowUnsharedInvites: config.allow_invites_from_unshared_servers,
  });

  // Spec "Events on Change of Profile Information": a new displayname or avatar is announced in
  // every joined room; a deactivated account leaves its rooms.
  deps.accountEvents.subscribe(async (event) => {
    if (event.type === "profile") await local.refreshProfile(event.userId);
    else await local.leaveAll(event.userId);
  });

  const replacements = createReplacementRooms({ storage, eventStore: rooms.eventStore, accountData: deps.accountData, pushRules: deps.push.rules });

  // Joins and invites cost the user a token each (rate_limits.join, .invite), as in Synapse.
  const limited = (requester: Requester, action: "join" | "invite") => {
    if (isRateLimited(requester)) deps.rateLimits.take(action, requester.userId);
  };

  const join = async (requester: Requester, roomIdOrAlias: string, extra?: JsonObject, via?: readonly string[]) => {
    assertNotSuspended(requester, "join rooms");
    limited(requester, "join");
    const joined = await remote.join(requester, roomIdOrAlias, extra, via);
    replacements.joined(requester.userId, joined.room_id);
    return joined;
  };

  return {
    // Joins, knocks and leaves may need another server (the remote side falls back to local).
    // A suspended account may leave and reject invites, but not join, knock or invite (spec "Account suspension").
    join,
    /**
     * `PUT /state/m.room.member/{own id}` with `membership: join` from someone not yet joined: a
     * join like `POST /join` (as Synapse routes it), with the body as content.
     */
    joinByState: async (requester: Requester, roomId: string, content: JsonObject): Promise<{ event_id: string }> => {
      await join(requester, roomId, content);
      const eventId = storage.memberships.get(roomId, requester.userId)?.event_id;
      if (!eventId) throw forbidden(`${requester.userId} could not join ${roomId}`);
      return { event_id: eventId };
    },
    /** `POST /upgrade`: the upgrader is the first of our users in the new room. */
    upgrade: async (requester: Requester, roomId: string, newVersion: string, additionalCreators?: string[]) => {
      const upgraded = await rooms.upgrades.upgrade(requester, roomId, newVersion, additionalCreators);
      replacements.joined(requester.userId, upgraded.replacement_room);
      return upgraded;
    },
    knock: (requester: Requester, roomIdOrAlias: string, reason?: string, via?: readonly string[]) => {
      assertNotSuspended(requester, "knock on rooms");
      return remote.knock(requester, roomIdOrAlias, reason, via);
    },
    leave: remote.leave,
    // Invites go through the invitee's server when it is another one.
    invite: (requester: Requester, roomId: string, target: string, reason?: string) => {
      assertNotSuspended(requester, "invite users");
      limited(requester, "invite");
      // A shadow-banned account's invites are answered as sent and never reach the invitee.
      if (requester.shadowBanned) return Promise.resolve();
      return invites.invite(requester, roomId, target, reason);
    },
    inviteAfterCreation: invites.inviteAfterCreation,
    kick: local.kick,
    ban: local.ban,
    unban: local.unban,
    forget: local.forget,
    /** `PUT /v2/invite` from another server, for one of our users. */
    receiveInvite: invites.receiveInvite,
  };
}
export type Membership = ReturnType<typeof buildMembership>;
