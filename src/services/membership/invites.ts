/**
 * Invites across servers (spec "Inviting to a room"): a user of another server is invited
 * through their server first, which co-signs the invite (`/v2/invite`), then the invite enters the
 * room like any event; an invite from another server for one of our users is checked, co-signed
 * and, for a room we are not in, kept with the room's stripped state for the invitee to answer.
 */
import {
  errorMessage,
  asSigned,
  isJsonObject,
  isSupportedRoomVersion,
  rulesFor,
  signEvent,
  wireForm,
  type CheckedPdu,
  type JsonObject,
  type SigningKey,
} from "../../core";
import type { Storage } from "../../storage";
import type { Requester } from "../accounts/access-tokens";
import { assertInvitable, inviteBlocked } from "../accounts/invite-permissions";
import type { EventBuilder } from "../rooms/event-builder";
import type { EventStore } from "../rooms/event-store";
import type { Logger } from "../../runtime/logger";
import { badJson, forbidden, MatrixError, notFound } from "../matrix-error";
import type { MembershipService } from "./local";
import type { RoomHeads } from "../rooms/heads";
import { isUnknownEndpoint, RemoteError, requestV2OrV1, type FederationClient, type FederationRequest } from "../../net/federation-client";
import type { InboundEvents } from "../federation/inbound/room-pipeline";
import { destinationsOf } from "../federation/outbound/event-fanout";
import type { RecordOutOfRoom } from "./out-of-room";
import type { PduChecker } from "../federation/inbound/pdu-checker";
import type { OutboundQueue } from "../federation/outbound/queue";
import { strippedState } from "../federation/serving";
import { serverOf, type RoomView } from "../federation/room-view";

export function createInvites(deps: {
  serverName: string;
  signingKey: SigningKey;
  storage: Storage;
  log: Logger;
  client: FederationClient;
  checker: PduChecker;
  view: RoomView;
  inbound: InboundEvents;
  sender: OutboundQueue;
  local: MembershipService;
  roomHeads: RoomHeads;
  eventStore: EventStore;
  eventBuilder: EventBuilder;
  recordOutOfRoom: RecordOutOfRoom;
  /** Whether this server takes part in the room (one of our users is joined). */
  participating(roomId: string): boolean;
  /** `allow_invites_from_unshared_servers`: false refuses invites from servers we share no room with. */
  allowUnsharedInvites: boolean;
}) {
  const { serverName, storage, client, checker, view, inbound, sender, local, roomHeads, eventStore, recordOutOfRoom } = deps;
  const isLocal = (id: string) => serverOf(id) === serverName;

  const invites = {
    /** `POST /invite`: a user of another server is invited through their server first. */
    async invite(requester: Requester, roomId: string, target: string, reason?: string, isDirect = false): Promise<void> {
      if (isLocal(target)) return local.invite(requester, roomId, target, reason);
      const rules = view.requireRoom(roomId);
      const current = storage.memberships.get(roomId, target)?.membership;
      if (current === "join") throw forbidden(`${target} is already in the room`);
      if (current === "ban") throw forbidden(`${target} is banned from the room`);
      const head = roomHeads.get(roomId)!;
      const state = view.currentState(roomId);
      const content: JsonObject = { membership: "invite" };
      if (reason !== undefined) content.reason = reason;
      if (isDirect) content.is_direct = true;
      const { pdu } = deps.eventBuilder.build(head, state, { type: "m.room.member", state_key: target, content, sender: requester.userId });
      const targetServer = serverOf(target);
      const path = (version: string) => `/_matrix/federation/${version}/invite/${encodeURIComponent(roomId)}/${encodeURIComponent(pdu.event_id)}`;
      const inviteRoomState = strippedState(state, eventStore, rules);
      const v2: FederationRequest = {
        method: "PUT",
        path: path("v2"),
        body: { room_version: rules.id, event: wireForm(pdu, rules), invite_room_state: inviteRoomState },
      };
      // The v1 form carries no room version: its receiver reads the event as room version 1, which
      // is only right for versions 1 and 2 (their events have the same format).
      const event = wireForm(pdu, rules);
      const v1: FederationRequest = {
        method: "PUT",
        path: path("v1"),
        body: { ...event, unsigned: { ...(isJsonObject(event.unsigned) ? event.unsigned : {}), invite_room_state: inviteRoomState } },
      };
      let answer: { event?: unknown };
      try {
        answer =
          rules.id === "1" || rules.id === "2"
            ? await requestV2OrV1(client, targetServer, v2, v1)
            : await client.request(targetServer, v2);
      } catch (e) {
        if (isUnknownEndpoint(e)) {
          throw new MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", `${targetServer} does not support room version ${rules.id}`);
        }
        // The invitee's own refusal (MSC4380) reaches the inviter as it is.
        if (e instanceof RemoteError && e.errcode === "M_INVITE_BLOCKED") throw inviteBlocked(target);
        if (e instanceof RemoteError && e.status < 500) throw forbidden(`${targetServer} refused the invite (${e.errcode ?? e.status})`);
        throw new MatrixError(502, "M_UNKNOWN", `${targetServer} could not be reached to deliver the invite`);
      }
      const verdict = await checker.check(answer.event, rules);
      if (!verdict.ok || verdict.pdu.event_id !== pdu.event_id || !(await checker.signedBy(verdict.pdu, targetServer, rules))) {
        throw new MatrixError(502, "M_UNKNOWN", `${targetServer} returned an invite it did not sign`);
      }
      const outcome = await inbound.process(verdict.pdu, serverName, rules, {
        gapFill: false,
        afterPersist: (h) => sender.queuePdu(destinationsOf(h, verdict.pdu), wireForm(verdict.pdu, rules)),
      });
      if (outcome.error) throw forbidden(outcome.error);
    },

    /**
     * The invitees of `createRoom` who belong to other servers (the room creation invited ours).
     * The room exists whatever happens here: a failed invite is logged, and can be sent again.
     */
    async inviteAfterCreation(requester: Requester, roomId: string, invitees: readonly string[], isDirect: boolean): Promise<void> {
      for (const target of new Set(invitees)) {
        if (isLocal(target)) continue;
        await invites.invite(requester, roomId, target, undefined, isDirect).catch((e: unknown) =>
          deps.log.warn("could not invite a user of another server to a new room", { roomId, target, error: errorMessage(e) }),
        );
      }
    },

    /** `PUT /v2/invite/{roomId}/{eventId}`: another server invites one of our users. */
    async receiveInvite(origin: string, roomId: string, eventId: string, body: unknown) {
      if (!isJsonObject(body) || !isJsonObject(body.event)) throw badJson("An invite needs an event");
      const version = typeof body.room_version === "string" ? body.room_version : "1";
      if (!isSupportedRoomVersion(version)) {
        throw new MatrixError(400, "M_INCOMPATIBLE_ROOM_VERSION", `Room version ${version} is not supported here`, { room_version: version });
      }
      const rules = rulesFor(version);
      if (storage.rooms.get(roomId)) view.requireAllowed(roomId, origin);
      const verdict = await checker.check(body.event, rules);
      if (!verdict.ok) throw forbidden(`The invite is not acceptable: ${verdict.reason}`);
      const pdu = verdict.pdu;
      if (pdu.event_id !== eventId || pdu.room_id !== roomId) throw badJson("The invite does not match the request path");
      if (pdu.type !== "m.room.member" || pdu.content.membership !== "invite" || typeof pdu.state_key !== "string") {
        throw badJson("The event is not an invite");
      }
      if (serverOf(pdu.sender) !== origin) throw forbidden("The inviter does not belong to the requesting server");
      if (!isLocal(pdu.state_key)) throw badJson("The invitee is not a user of this server");
      const user = storage.accounts.getUser(pdu.state_key);
      if (!user || user.deactivated) throw notFound(`Unknown user ${pdu.state_key}`);
      assertInvitable(storage, pdu.state_key);
      if (!deps.allowUnsharedInvites && !storage.memberships.serversShareRoom(serverName, origin)) {
        throw forbidden("This server takes invites only from servers it shares a room with");
      }
      const signed = Object.assign(signEvent(asSigned(pdu, rules), rules, serverName, deps.signingKey.keyId, deps.signingKey.seed), {
        event_id: pdu.event_id,
      }) as CheckedPdu;
      // In a room we take part in, the invite arrives again through the room; otherwise keep it
      // here with the room's stripped state, for the invitee to see and answer.
      if (!deps.participating(roomId)) {
        const inviteState = Array.isArray(body.invite_room_state) ? body.invite_room_state.filter(isJsonObject) : [];
        recordOutOfRoom(signed, rules, inviteState);
      }
      return { event: wireForm(signed, rules) };
    },
  };
  return invites;
}
export type Invites = ReturnType<typeof createInvites>;
