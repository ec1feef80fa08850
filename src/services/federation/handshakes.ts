/**
 * The resident side of joins, leaves and knocks from other servers (spec "Joining Rooms",
 * "Leaving Rooms", "Knocking"): `make_*` hands out an unsigned membership template built on the
 * room's current head, refused early when the auth rules would refuse the event; `send_*` takes
 * the signed event, runs it through the room pipeline, shares it with the room's other servers
 * and answers (for a join: the state before it and the auth chain).
 */
import {
  asSigned,
  authEventTypesFor,
  checkStateDependentAuthRules,
  eventRefs,
  isJsonObject,
  namedLevelOf,
  pduTemplate,
  powerLevelOf,
  signEvent,
  stateKeyOf,
  wireForm,
  type CheckedPdu,
  type JsonObject,
  type Pdu,
  type RoomVersionRules,
  type SigningKey,
} from "../../core";
import type { Storage } from "../../storage";
import { authMapOf } from "../rooms/auth-inputs";
import type { Clock } from "../../runtime/clock";
import type { EventStore } from "../rooms/event-store";
import { badJson, forbidden, MatrixError, notFound } from "../matrix-error";
import type { RoomHeads } from "../rooms/heads";
import type { StateMap } from "../rooms/state";
import type { InboundEvents } from "./inbound/room-pipeline";
import type { PduChecker } from "./inbound/pdu-checker";
import type { OutboundQueue } from "./outbound/queue";
import { strippedState, type FederationServing } from "./serving";
import { serverOf, type RoomView } from "./room-view";

export type HandshakeMembership = "join" | "leave" | "knock";

const incompatibleVersion = (version: string) =>
  new MatrixError(400, "M_INCOMPATIBLE_ROOM_VERSION", `The room is version ${version}, which your server did not offer`, {
    room_version: version,
  });

export function createHandshakes(deps: {
  serverName: string;
  signingKey: SigningKey;
  storage: Storage;
  clock: Clock;
  view: RoomView;
  roomHeads: RoomHeads;
  eventStore: EventStore;
  checker: PduChecker;
  inbound: InboundEvents;
  sender: OutboundQueue;
  serving: FederationServing;
}) {
  const { serverName, storage, view, roomHeads, eventStore, checker, inbound, sender, serving } = deps;

  const sha256Of = (id: string) => eventStore.getPdu(id)?.hashes.sha256;

  /** The auth rules against the current state, for a membership event of `userId`. */
  function refusal(pdu: Pdu, current: StateMap, rules: RoomVersionRules): string | null {
    const keys = [stateKeyOf("m.room.create", ""), ...authEventTypesFor(pdu.type, pdu.sender, pdu.state_key, pdu.content, rules)];
    const map = authMapOf(current, eventStore, keys);
    const verdict = checkStateDependentAuthRules(pdu, map, rules);
    return verdict.allowed ? null : verdict.reason;
  }

  /**
   * since v8: for a restricted room, a local user who may invite vouches for a joiner who is in one
   * of the rooms the join rule allows (as far as this server can tell).
   */
  function restrictedAuthoriser(roomId: string, userId: string, current: StateMap, rules: RoomVersionRules): string | undefined {
    const joinRules = view.stateEvent(current, "m.room.join_rules")?.content;
    if (!rules.restrictedJoins || !isJsonObject(joinRules)) return undefined;
    const rule = joinRules.join_rule;
    if (rule !== "restricted" && !(rule === "knock_restricted" && rules.knockRestrictedJoins)) return undefined;
    const membership = view.stateEvent(current, "m.room.member", userId)?.content.membership;
    if (membership === "invite" || membership === "join") return undefined;
    const allow = Array.isArray(joinRules.allow) ? joinRules.allow : [];
    const qualifies = allow.some(
      (a) =>
        isJsonObject(a) &&
        a.type === "m.room_membership" &&
        typeof a.room_id === "string" &&
        storage.memberships.get(a.room_id, userId)?.membership === "join",
    );
    if (!qualifies) {
      throw new MatrixError(400, "M_UNABLE_TO_AUTHORISE_JOIN", "None of the room's join conditions can be confirmed here");
    }
    const levels = authMapOf(current, eventStore, [stateKeyOf("m.room.create", ""), stateKeyOf("m.room.power_levels", "")]);
    const inviteLevel = namedLevelOf("invite", levels, rules);
    const authoriser = storage.memberships
      .usersWith(roomId, "join")
      .find((u) => serverOf(u) === serverName && powerLevelOf(u, levels, rules) >= inviteLevel);
    if (!authoriser) throw new MatrixError(400, "M_UNABLE_TO_GRANT_JOIN", "No user here may let you in: try another server");
    return authoriser;
  }

  /** Checks common to every `send_*`: the event is the membership it claims, from `origin`. */
  async function receiveSigned(origin: string, roomId: string, eventId: string, body: unknown, membership: HandshakeMembership) {
    const rules = view.requireRoom(roomId);
    view.requireAllowed(roomId, origin);
    const verdict = await checker.check(body, rules);
    if (!verdict.ok) {
      // A missing or forged signature is refused as a permission failure (403), as Synapse answers.
      if (verdict.badSignature) throw forbidden(`The event is not acceptable: ${verdict.reason}`);
      throw badJson(`The event is not acceptable: ${verdict.reason}`);
    }
    const pdu = verdict.pdu;
    if (pdu.event_id !== eventId || pdu.room_id !== roomId) throw badJson("The event does not match the request path");
    if (pdu.type !== "m.room.member" || pdu.content.membership !== membership || pdu.state_key !== pdu.sender) {
      throw badJson(`The event is not a ${membership} of its sender`);
    }
    if (serverOf(pdu.sender) !== origin) throw forbidden("The event's sender does not belong to the requesting server");
    if (verdict.redacted) throw badJson("The event's content does not match its hash");
    return { rules, pdu };
  }

  /** Stores the event through the room pipeline and shares it with the room's other servers. */
  async function accept(origin: string, pdu: CheckedPdu, rules: RoomVersionRules): Promise<void> {
    const outcome = await inbound.process(pdu, origin, rules, {
      gapFill: false,
      afterPersist: (head) => {
        const others = view.joinedServers(pdu.room_id).filter((s) => s !== origin && s !== serverName);
        sender.queuePdu(others, wireForm(pdu, head.rules));
      },
    });
    if (outcome.error) throw forbidden(`The room refused the event: ${outcome.error}`);
    if (outcome.softFailed) throw forbidden("The event is not allowed by the room's current state");
  }

  return {
    /** `GET /make_{join,leave,knock}/{roomId}/{userId}` */
    makeMembership(origin: string, roomId: string, userId: string, membership: HandshakeMembership, versions?: string[]) {
      const rules = view.requireRoom(roomId);
      // Once every local member left, this server no longer holds the room's current state.
      if (!view.joinedServers(roomId).includes(serverName)) throw notFound(`This server is no longer in ${roomId}`);
      view.requireAllowed(roomId, origin);
      if (serverOf(userId) !== origin) throw forbidden("You may only ask for your own users");
      // Joins and knocks state the room versions the joining server understands (v1 if it says none).
      if (membership !== "leave" && !(versions ?? ["1"]).includes(rules.id)) throw incompatibleVersion(rules.id);
      if (membership === "knock" && !rules.knocking) throw forbidden(`Room version ${rules.id} does not allow knocking`);
      const head = roomHeads.get(roomId)!;
      const current = view.currentState(roomId);
      const content: JsonObject = { membership };
      if (membership === "join") {
        const authoriser = restrictedAuthoriser(roomId, userId, current, rules);
        if (authoriser !== undefined) content.join_authorised_via_users_server = authoriser;
      }
      const authIds = authEventTypesFor("m.room.member", userId, userId, content, rules).flatMap((k) => {
        const id = current.get(k);
        return id === undefined ? [] : [id];
      });
      // The joining server creates (and signs) the event: it is the template's `origin`.
      const event = pduTemplate(
        {
          roomId,
          sender: userId,
          stateKey: userId,
          type: "m.room.member",
          content,
          originServerTs: deps.clock.now(),
          depth: Math.min(head.depth + 1, Number.MAX_SAFE_INTEGER),
          prevEvents: eventRefs(head.extremities, rules, sha256Of),
          authEvents: eventRefs(authIds, rules, sha256Of),
          origin,
        },
        rules,
      );
      const reason = refusal(event as Pdu, current, rules);
      if (reason !== null) throw forbidden(`You may not ${membership} this room: ${reason}`);
      return { event, room_version: rules.id };
    },

    /** `PUT /v2/send_join/{roomId}/{eventId}` */
    async sendJoin(origin: string, roomId: string, eventId: string, body: unknown) {
      const received = await receiveSigned(origin, roomId, eventId, body, "join");
      let { pdu } = received;
      const { rules } = received;
      const via = pdu.content.join_authorised_via_users_server;
      // since v8: the authorising server co-signs a restricted join before anyone else sees it.
      if (typeof via === "string" && serverOf(via) === serverName) {
        const signed = signEvent(asSigned(pdu, rules), rules, serverName, deps.signingKey.keyId, deps.signingKey.seed);
        pdu = Object.assign(signed, { event_id: pdu.event_id });
      }
      const serversBefore = view.joinedServers(roomId);
      await accept(origin, pdu, rules);
      const state = [...serving.stateAt(roomId, pdu.event_id).values()];
      return {
        state: serving.wireEvents(state, rules),
        auth_chain: serving.wireEvents(serving.authChain([...state, pdu.event_id], roomId), rules),
        event: wireForm(pdu, rules),
        members_omitted: false,
        servers_in_room: serversBefore,
      };
    },

    /** `PUT /v2/send_leave/{roomId}/{eventId}` */
    async sendLeave(origin: string, roomId: string, eventId: string, body: unknown) {
      const { rules, pdu } = await receiveSigned(origin, roomId, eventId, body, "leave");
      await accept(origin, pdu, rules);
      return {};
    },

    /** `PUT /v1/send_knock/{roomId}/{eventId}` */
    async sendKnock(origin: string, roomId: string, eventId: string, body: unknown) {
      const { rules, pdu } = await receiveSigned(origin, roomId, eventId, body, "knock");
      if (!rules.knocking) throw forbidden(`Room version ${rules.id} does not allow knocking`);
      await accept(origin, pdu, rules);
      return { knock_room_state: strippedState(view.currentState(roomId), eventStore, rules) };
    },
  };
}
export type Handshakes = ReturnType<typeof createHandshakes>;
