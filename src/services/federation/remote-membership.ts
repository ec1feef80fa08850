/**
 * Membership that crosses servers, for local users: joining a room through a resident server
 * (`make_join` + `send_join`, then the returned state and auth chain are checked and stored),
 * knocking and leaving (rejecting an invite) the same way, inviting a user of another server
 * (`/v2/invite`: their server co-signs first), and receiving such invites. A template from a
 * resident is never signed as received: we rebuild every security field of the event ourselves.
 * Everything that does not need another server goes to the local membership service.
 */
import {
  authCheck,
  canonicalJson,
  checkStateDependentAuthRules,
  hashAndSignEvent,
  isJsonObject,
  isSupportedRoomVersion,
  refId,
  roomVersions,
  rulesFor,
  signEvent,
  stateKeyOf,
  type EventRef,
  type JsonObject,
  type Pdu,
  type PduTemplate,
  type RoomVersionRules,
  type StateKey,
} from "../../core";
import type { Storage } from "../../storage";
import type { Requester } from "../auth";
import type { Clock } from "../clock";
import type { DirectoryService } from "../directory";
import type { EventBuilder } from "../event-builder";
import type { EventPersister } from "../event-persister";
import type { EventStore } from "../event-store";
import type { Logger } from "../logger";
import { MatrixError, badJson, forbidden, notFound } from "../matrix-error";
import type { MembershipService } from "../membership";
import type { Notifier } from "../notifier";
import { memberContent } from "../profiles";
import type { RoomHeads } from "../room-heads";
import type { RoomQueue } from "../room-queue";
import type { SigningKey } from "../server-keys";
import type { StateService } from "../state";
import { RemoteError, type FederationClient } from "./client";
import type { FederatedDirectory } from "./directory";
import type { InboundEvents } from "./inbound-events";
import { destinationsOf, wireForm } from "./outbound-events";
import { asSigned, belongsTo, type CheckedPdu, type PduChecker } from "./pdu-checks";
import type { FederationSender } from "./sender";
import { strippedState } from "./serving";
import { serverOf, type RoomView } from "./room-view";
import { randomBytes } from "node:crypto";

type RemoteMembership = "join" | "leave" | "knock";

/** Large rooms answer `send_join` with their whole state: allow it room to arrive. */
const SEND_JOIN_MAX_BYTES = 512 * 1024 * 1024;
const SEND_JOIN_TIMEOUT_MS = 5 * 60_000;
const SUPPORTED_VERSIONS = Object.keys(roomVersions);

export function createRemoteMembership(deps: {
  serverName: string;
  signingKey: SigningKey;
  storage: Storage;
  clock: Clock;
  log: Logger;
  client: FederationClient;
  checker: PduChecker;
  view: RoomView;
  inbound: InboundEvents;
  sender: FederationSender;
  local: MembershipService;
  directory: DirectoryService;
  aliases: FederatedDirectory;
  roomQueue: RoomQueue;
  roomHeads: RoomHeads;
  roomState: StateService;
  eventStore: EventStore;
  persister: EventPersister;
  eventBuilder: EventBuilder;
  notifier: Notifier;
}) {
  const { serverName, storage, client, checker, view, inbound, sender, local, roomQueue, roomHeads, eventStore } = deps;

  const isLocal = (id: string) => serverOf(id) === serverName;

  /** Whether this server takes part in the room: one of our users is joined. */
  function participating(roomId: string): boolean {
    return storage.memberships.usersWith(roomId, "join").some(isLocal);
  }

  /** A room id as given, or the room an alias points at (asking the alias's server when remote). */
  async function resolveRoom(roomIdOrAlias: string): Promise<{ roomId: string; servers: string[] }> {
    if (!roomIdOrAlias.startsWith("#")) return { roomId: deps.directory.resolveRoom(roomIdOrAlias), servers: [] };
    const { room_id, servers } = await deps.aliases.resolveAlias(roomIdOrAlias);
    return { roomId: room_id, servers };
  }

  /** Servers worth asking about a room: those given, the room id's, and whoever invited the user. */
  function candidateServers(roomId: string, userId: string, given: readonly string[]): string[] {
    const out = [...given];
    const colon = roomId.indexOf(":");
    if (colon > 0) out.push(roomId.slice(colon + 1));
    const invite = storage.memberships.get(roomId, userId);
    if (invite) out.push(serverOf(invite.sender));
    for (const s of view.joinedServers(roomId)) out.push(s);
    return [...new Set(out)].filter((s) => s !== serverName);
  }

  /**
   * Asks `server` for a membership template and builds our own event from it: only the graph
   * position (prev_events, auth_events, depth) and, for a restricted join, the authorising user
   * come from the template; sender, state_key, type, membership and room are ours.
   */
  async function buildFromTemplate(server: string, roomId: string, userId: string, membership: RemoteMembership, content: JsonObject) {
    const versions = SUPPORTED_VERSIONS.map((v) => `ver=${encodeURIComponent(v)}`).join("&");
    const query = membership === "leave" ? "" : `?${versions}`;
    const res = await client.request<{ event?: unknown; room_version?: unknown }>(server, {
      method: "GET",
      path: `/_matrix/federation/v1/make_${membership}/${encodeURIComponent(roomId)}/${encodeURIComponent(userId)}${query}`,
    });
    const version = typeof res.room_version === "string" ? res.room_version : "1";
    if (!isSupportedRoomVersion(version)) throw new MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", `Room version ${version} is not supported`);
    const rules = rulesFor(version);
    const template = res.event;
    if (!isJsonObject(template)) throw badJson(`${server} sent no ${membership} template`);
    const refs = (value: unknown): EventRef[] => {
      if (!Array.isArray(value)) throw badJson(`${server} sent a ${membership} template without event references`);
      return value as EventRef[];
    };
    const ownContent: JsonObject = { ...content, membership };
    const via = isJsonObject(template.content) ? template.content.join_authorised_via_users_server : undefined;
    if (membership === "join" && typeof via === "string") ownContent.join_authorised_via_users_server = via;
    if (typeof template.depth !== "number" || !Number.isSafeInteger(template.depth) || template.depth < 0) {
      throw badJson(`${server} sent a ${membership} template with a bad depth`);
    }
    const event: PduTemplate = {
      room_id: roomId,
      sender: userId,
      state_key: userId,
      type: "m.room.member",
      content: ownContent,
      origin_server_ts: deps.clock.now(),
      depth: template.depth,
      prev_events: refs(template.prev_events),
      auth_events: refs(template.auth_events),
    };
    if (rules.redaction !== "v11") event.origin = serverName;
    if (rules.eventFormat === "v1") event.event_id = `$${randomBytes(18).toString("base64url")}:${serverName}`;
    const { pdu, eventId } = hashAndSignEvent(event, rules, serverName, deps.signingKey.keyId, deps.signingKey.seed);
    return { rules, pdu: Object.assign(pdu, { event_id: eventId }) as CheckedPdu };
  }

  /** Tries each server in turn; the last failure becomes the client's error. */
  async function withServers<T>(servers: readonly string[], what: string, attempt: (server: string) => Promise<T>): Promise<T> {
    let last: unknown;
    for (const server of servers) {
      try {
        return await attempt(server);
      } catch (e) {
        last = e;
        deps.log.info(`remote ${what} failed`, { server, error: (e as Error).message });
      }
    }
    if (last instanceof RemoteError && last.status === 403) {
      throw forbidden(`${last.destination} refused: ${(last.body as { error?: string } | undefined)?.error ?? "forbidden"}`);
    }
    if (last instanceof MatrixError) throw last;
    if (last === undefined) throw notFound(`No server is known to ${what} through`);
    throw new MatrixError(502, "M_UNKNOWN", `No server could ${what}: ${(last as Error).message}`);
  }

  /**
   * Checks a `send_join` answer and stores the room: state and auth chain as outliers (each
   * checked, and refused events kept as rejected), then our join on top of that state.
   */
  async function applyJoin(pdu: CheckedPdu, rules: RoomVersionRules, answer: JsonObject, server: string): Promise<void> {
    const roomId = pdu.room_id;
    let join = pdu;
    // A restricted join comes back co-signed by the authorising server; it must still be ours.
    if (isJsonObject(answer.event)) {
      const returned = await checker.check(answer.event, rules);
      if (returned.ok && returned.pdu.event_id === pdu.event_id) join = returned.pdu;
    }
    const raws = [...(Array.isArray(answer.state) ? answer.state : []), ...(Array.isArray(answer.auth_chain) ? answer.auth_chain : [])];
    const verdicts = await checker.checkMany(raws, rules);
    const events = new Map<string, CheckedPdu>();
    for (const v of verdicts) if (v.ok && belongsTo(v.pdu, roomId, rules)) events.set(v.pdu.event_id, v.pdu);
    const stateIds = new Set(
      (Array.isArray(answer.state) ? answer.state : []).flatMap((_, i) => {
        const v = verdicts[i];
        return v?.ok ? [v.pdu.event_id] : [];
      }),
    );
    const ordered = [...events.values()].sort((a, b) => a.depth - b.depth);
    const rejected = new Map<string, string>();
    const byId = (id: string) => events.get(id) ?? eventStore.getPdu(id);
    const create = ordered.find((e) => e.type === "m.room.create" && e.state_key === "");
    if (!create) throw new MatrixError(502, "M_UNKNOWN", `${server} sent a join answer without the room's create event`);
    // Each event against its own auth events, oldest first; a rejected auth event grants nothing.
    for (const event of ordered) {
      const auth = event.auth_events.map((r) => byId(refId(r))).filter((e): e is Pdu => e !== null && e !== undefined);
      if (rules.roomIdIsCreateEventHash && event !== create) auth.push(create);
      const verdict = authCheck(event, auth, rules.id, { isRejected: (id) => rejected.has(id) });
      if (!verdict.allowed) rejected.set(event.event_id, verdict.reason);
    }
    const state = new Map<StateKey, string>();
    for (const id of stateIds) {
      const event = events.get(id)!;
      if (typeof event.state_key === "string" && !rejected.has(id)) state.set(stateKeyOf(event.type, event.state_key), id);
    }
    const stateEvents = new Map<StateKey, Pdu>([...state].map(([key, id]) => [key, events.get(id)!]));
    const verdict = checkStateDependentAuthRules(join, stateEvents, rules);
    if (!verdict.allowed) throw forbidden(`The room's state does not allow the join: ${verdict.reason}`);

    await roomQueue.run(roomId, (ctx) => {
      if (!storage.rooms.get(roomId)) storage.rooms.insert(roomId, rules.id, create.sender, deps.clock.now());
      const head = roomHeads.get(roomId) ?? roomHeads.start(roomId, rules.id);
      for (const event of ordered) {
        if (storage.events.get(event.event_id)) continue;
        deps.persister.persist(head, { pdu: event, stateBefore: null, outlier: true, rejectedReason: rejected.get(event.event_id) });
      }
      const group = deps.roomState.groupForState(roomId, state, head.stateGroup);
      const persisted = deps.persister.persist(head, { pdu: join, stateBefore: group });
      // After a rejoin, what we held from before is history: the room goes on from our join.
      const stale = head.extremities.filter((id) => id !== join.event_id);
      if (stale.length > 0) {
        storage.events.replaceExtremities(roomId, stale, join.event_id);
        head.extremities = [join.event_id];
      }
      ctx.afterCommit(() => deps.notifier.wakeUsers(persisted.wake));
    });
  }

  /** A membership stored for a room this server is not in (an invite, a knock, a rejection). */
  function recordOutOfRoom(pdu: CheckedPdu, rules: RoomVersionRules, strippedRoomState?: JsonObject[]): void {
    const stored: JsonObject = { ...wireForm(pdu, rules) };
    // Kept where Matrix puts it on the event, for the invitee's /sync.
    if (strippedRoomState) stored.unsigned = { invite_room_state: strippedRoomState };
    const membership = pdu.content.membership as string;
    storage.transaction(() => {
      if (storage.events.get(pdu.event_id)) return;
      const stream = storage.events.insert({
        event_id: pdu.event_id,
        room_id: pdu.room_id,
        depth: pdu.depth,
        type: pdu.type,
        state_key: pdu.state_key ?? null,
        sender: pdu.sender,
        origin_server_ts: pdu.origin_server_ts,
        membership,
        json: canonicalJson(stored),
        outlier: true,
        rejected_reason: null,
        soft_failed: false,
        state_before: null,
        state_after: null,
        replaces_state: null,
        received_ts: deps.clock.now(),
      });
      storage.memberships.set(pdu.room_id, pdu.state_key!, membership, pdu.event_id, stream, pdu.sender);
    });
    deps.notifier.wakeUsers([pdu.state_key!]);
  }

  /** make_/send_ for a leave or knock of a room this server is not in. */
  async function remoteMembership(requester: Requester, roomId: string, membership: "leave" | "knock", content: JsonObject, via: readonly string[]) {
    const servers = candidateServers(roomId, requester.userId, via);
    await withServers(servers, membership, async (server) => {
      const { rules, pdu } = await buildFromTemplate(server, roomId, requester.userId, membership, content);
      const version = membership === "knock" ? "v1" : "v2";
      const answer = await client.request<JsonObject>(server, {
        method: "PUT",
        path: `/_matrix/federation/${version}/send_${membership}/${encodeURIComponent(roomId)}/${encodeURIComponent(pdu.event_id)}`,
        body: wireForm(pdu, rules),
      });
      const knockState = Array.isArray(answer?.knock_room_state) ? (answer.knock_room_state as JsonObject[]) : undefined;
      recordOutOfRoom(pdu, rules, knockState);
    });
  }

  return {
    participating,

    /** `POST /join`: through a resident server unless this server is already in the room. */
    async join(requester: Requester, roomIdOrAlias: string, reason: string | undefined, via: readonly string[] = []) {
      const { roomId, servers } = await resolveRoom(roomIdOrAlias);
      const remote = candidateServers(roomId, requester.userId, [...via, ...servers]);
      if (participating(roomId) || (storage.rooms.get(roomId) && remote.length === 0)) {
        return local.join(requester, roomId, reason);
      }
      const content = memberContent(storage, requester.userId, "join");
      if (reason !== undefined) content.reason = reason;
      await withServers(remote, "join", async (server) => {
        const { rules, pdu } = await buildFromTemplate(server, roomId, requester.userId, "join", content);
        const answer = await client.request<JsonObject>(server, {
          method: "PUT",
          path: `/_matrix/federation/v2/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(pdu.event_id)}`,
          body: wireForm(pdu, rules),
          maxBytes: SEND_JOIN_MAX_BYTES,
          timeoutMs: SEND_JOIN_TIMEOUT_MS,
        });
        await applyJoin(pdu, rules, answer, server);
      });
      return { room_id: roomId };
    },

    /** `POST /knock`: local when this server is in the room, else through a resident. */
    async knock(requester: Requester, roomIdOrAlias: string, reason: string | undefined, via: readonly string[] = []) {
      const { roomId, servers } = await resolveRoom(roomIdOrAlias);
      if (participating(roomId)) return local.knock(requester, roomId, reason);
      const content = memberContent(storage, requester.userId, "knock");
      if (reason !== undefined) content.reason = reason;
      await remoteMembership(requester, roomId, "knock", content, [...via, ...servers]);
      return { room_id: roomId };
    },

    /** `POST /leave`: a remote round trip only to reject an invite (or withdraw a knock) of a room we are not in. */
    async leave(requester: Requester, roomId: string, reason?: string): Promise<void> {
      const current = storage.memberships.get(roomId, requester.userId)?.membership;
      if (participating(roomId) || (current !== "invite" && current !== "knock")) return local.leave(requester, roomId, reason);
      await remoteMembership(requester, roomId, "leave", reason === undefined ? {} : { reason }, []);
    },

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
      let answer: { event?: unknown };
      try {
        answer = await client.request(targetServer, {
          method: "PUT",
          path: `/_matrix/federation/v2/invite/${encodeURIComponent(roomId)}/${encodeURIComponent(pdu.event_id)}`,
          body: { room_version: rules.id, event: wireForm(pdu, rules), invite_room_state: strippedState(state, eventStore, rules) },
        });
      } catch (e) {
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
        await this.invite(requester, roomId, target, undefined, isDirect).catch((e: unknown) =>
          deps.log.warn("could not invite a user of another server to a new room", { roomId, target, error: (e as Error).message }),
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
      const signed = Object.assign(signEvent(asSigned(pdu, rules), rules, serverName, deps.signingKey.keyId, deps.signingKey.seed), {
        event_id: pdu.event_id,
      }) as CheckedPdu;
      // In a room we take part in, the invite arrives again through the room; otherwise keep it
      // here with the room's stripped state, for the invitee to see and answer.
      if (!participating(roomId)) {
        const inviteState = Array.isArray(body.invite_room_state) ? body.invite_room_state.filter(isJsonObject) : [];
        recordOutOfRoom(signed, rules, inviteState);
      }
      return { event: wireForm(signed, rules) };
    },
  };
}
export type RemoteMembershipService = ReturnType<typeof createRemoteMembership>;
