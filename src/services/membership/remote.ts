/**
 * Membership that crosses servers, for local users: joining a room through a resident server
 * (`make_join` + `send_join`; the answer is checked and stored by the join answers), knocking and
 * leaving (rejecting an invite) the same way, or alone when no resident takes the rejection. A
 * template from a resident is never signed as received: we rebuild every security field of the
 * event ourselves. Everything that does not need another server goes to the local membership
 * service.
 */
import {
  errorMessage,
  hashAndSignEvent,
  isJsonObject,
  isSupportedRoomVersion,
  pduTemplate,
  roomVersions,
  rulesFor,
  wireForm,
  type CheckedPdu,
  type EventRef,
  type JsonObject,
  type SigningKey,
} from "../../core";
import type { Storage } from "../../storage";
import type { Requester } from "../accounts/access-tokens";
import type { Clock } from "../../runtime/clock";
import type { DirectoryService } from "../rooms/directory";
import type { Logger } from "../../runtime/logger";
import { badJson, forbidden, MatrixError, notFound } from "../matrix-error";
import type { MembershipService } from "./local";
import { joinContent, memberContent } from "../rooms/member-content";
import { guestsCanJoin } from "../rooms/guest-access";
import { RemoteError, requestV2OrV1, type FederationClient, type FederationRequest } from "../../net/federation-client";
import type { FederatedDirectory } from "../federation/remote-directory";
import type { JoinAnswers } from "./join-answer";
import type { RecordOutOfRoom } from "./out-of-room";
import { serverOf, type RoomView } from "../federation/room-view";

type RemoteMembership = "join" | "leave" | "knock";

/** Large rooms answer `send_join` with their whole state: allow it room to arrive. */
const SEND_JOIN_MAX_BYTES = 512 * 1024 * 1024;
const SEND_JOIN_TIMEOUT_MS = 5 * 60_000;
const SUPPORTED_VERSIONS = Object.keys(roomVersions);
/** A resident's answers that are the client's to see. */
const PASSED_THROUGH = new Set([400, 403, 404]);

export function createRemoteMembership(deps: {
  serverName: string;
  signingKey: SigningKey;
  storage: Storage;
  clock: Clock;
  log: Logger;
  client: FederationClient;
  view: RoomView;
  local: MembershipService;
  directory: DirectoryService;
  aliases: FederatedDirectory;
  joinAnswers: JoinAnswers;
  recordOutOfRoom: RecordOutOfRoom;
}) {
  const { serverName, storage, client, view, local } = deps;

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
    const event = pduTemplate(
      {
        roomId,
        sender: userId,
        stateKey: userId,
        type: "m.room.member",
        content: ownContent,
        originServerTs: deps.clock.now(),
        depth: template.depth,
        prevEvents: refs(template.prev_events),
        authEvents: refs(template.auth_events),
        origin: serverName,
      },
      rules,
      { mintEventId: true },
    );
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
        deps.log.info(`remote ${what} failed`, { server, error: errorMessage(e) });
      }
    }
    // The resident's refusal reaches the client as it gave it (status, errcode and fields such as
    // `room_version`), but never a 401, which the client would take for its own token.
    if (last instanceof RemoteError && PASSED_THROUGH.has(last.status)) {
      const { errcode, error, ...fields } = isJsonObject(last.body) ? last.body : {};
      const code = typeof errcode === "string" && errcode.startsWith("M_") ? errcode : last.status === 404 ? "M_NOT_FOUND" : "M_FORBIDDEN";
      throw new MatrixError(last.status, code, `${last.destination} refused: ${typeof error === "string" ? error : "no reason given"}`, fields);
    }
    if (last instanceof MatrixError) throw last;
    if (last === undefined) throw notFound(`No server is known to ${what} through`);
    throw new MatrixError(502, "M_UNKNOWN", `No server could ${what}: ${errorMessage(last)}`);
  }

  /**
   * Spec "Guest access" for a room this server is not in: only the stripped state of the guest's
   * invite can tell that the room's `m.room.guest_access` is `can_join`.
   */
  function invitedToGuestRoom(roomId: string, userId: string): boolean {
    const m = storage.memberships.get(roomId, userId);
    const row = m?.membership === "invite" ? storage.events.get(m.event_id) : null;
    if (!row) return false;
    const stripped = (JSON.parse(row.json) as { unsigned?: { invite_room_state?: unknown } }).unsigned?.invite_room_state;
    if (!Array.isArray(stripped)) return false;
    return stripped.some((e: unknown) => isJsonObject(e) && e.type === "m.room.guest_access" && guestsCanJoin(isJsonObject(e.content) ? e.content : undefined));
  }

  /** make_/send_ for a leave or knock of a room this server is not in. */
  async function remoteMembership(requester: Requester, roomId: string, membership: "leave" | "knock", content: JsonObject, via: readonly string[]) {
    const servers = candidateServers(roomId, requester.userId, via);
    await withServers(servers, membership, async (server) => {
      const { rules, pdu } = await buildFromTemplate(server, roomId, requester.userId, membership, content);
      const send = (version: string): FederationRequest => ({
        method: "PUT",
        path: `/_matrix/federation/${version}/send_${membership}/${encodeURIComponent(roomId)}/${encodeURIComponent(pdu.event_id)}`,
        body: wireForm(pdu, rules),
      });
      // send_knock exists only as v1; send_leave falls back to v1 on servers without v2.
      const answer =
        membership === "knock" ? await client.request<JsonObject>(server, send("v1")) : await requestV2OrV1<JsonObject>(client, server, send("v2"), send("v1"));
      const knockState = Array.isArray(answer?.knock_room_state) ? (answer.knock_room_state as JsonObject[]) : undefined;
      deps.recordOutOfRoom(pdu, rules, knockState);
    });
  }

  /**
   * An invite no resident server would take the rejection of (it refused, failed or is gone): the
   * user rejects it here alone with an out-of-band leave that follows the invite and is sent
   * nowhere (as Synapse does), so nobody is stuck with an invite they cannot answer.
   */
  function rejectLocally(requester: Requester, roomId: string, reason: string | undefined): void {
    const invite = storage.events.get(storage.memberships.get(roomId, requester.userId)!.event_id);
    if (!invite) throw notFound(`The invite to ${roomId} is not stored`);
    const stored = JSON.parse(invite.json) as JsonObject & { unsigned?: { invite_room_state?: unknown }; hashes?: Record<string, string> };
    const stripped = stored.unsigned?.invite_room_state;
    const create = Array.isArray(stripped) ? stripped.find((e): e is JsonObject => isJsonObject(e) && e.type === "m.room.create") : undefined;
    const claimed = isJsonObject(create?.content) ? create.content.room_version : undefined;
    // The stripped create event names the room's version (required since v1.16); older invites may lack it.
    const rules = rulesFor(typeof claimed === "string" && isSupportedRoomVersion(claimed) ? claimed : "1");
    const ref: EventRef = rules.eventIdInEvent ? [invite.event_id, stored.hashes ?? {}] : invite.event_id;
    const content: JsonObject = { membership: "leave" };
    if (reason !== undefined) content.reason = reason;
    const event = pduTemplate(
      {
        roomId,
        sender: requester.userId,
        stateKey: requester.userId,
        type: "m.room.member",
        content,
        originServerTs: deps.clock.now(),
        depth: invite.depth + 1,
        prevEvents: [ref],
        authEvents: [ref],
        origin: serverName,
      },
      rules,
      { mintEventId: true },
    );
    const { pdu, eventId } = hashAndSignEvent(event, rules, serverName, deps.signingKey.keyId, deps.signingKey.seed);
    deps.recordOutOfRoom(Object.assign(pdu, { event_id: eventId }) as CheckedPdu, rules);
  }

  /** A room an admin blocked takes no joins or knocks from this server's users. */
  function refuseBlocked(roomId: string): void {
    if (storage.roomBlocks.get(roomId)) throw forbidden("This room is blocked on this server");
  }

  return {
    participating,

    /** `POST /join`: through a resident server unless this server is already in the room. */
    async join(requester: Requester, roomIdOrAlias: string, extra?: JsonObject, via: readonly string[] = []) {
      const { roomId, servers } = await resolveRoom(roomIdOrAlias);
      refuseBlocked(roomId);
      const remote = candidateServers(roomId, requester.userId, [...via, ...servers]);
      if (participating(roomId) || (storage.rooms.get(roomId) && remote.length === 0)) {
        return local.join(requester, roomId, extra);
      }
      if (requester.isGuest && !invitedToGuestRoom(roomId, requester.userId)) {
        throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guests may not join this room");
      }
      const content = joinContent(storage, requester.userId, extra);
      await withServers(remote, "join", async (server) => {
        const { rules, pdu } = await buildFromTemplate(server, roomId, requester.userId, "join", content);
        const send = (version: string): FederationRequest => ({
          method: "PUT",
          path: `/_matrix/federation/${version}/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(pdu.event_id)}`,
          body: wireForm(pdu, rules),
          maxBytes: SEND_JOIN_MAX_BYTES,
          timeoutMs: SEND_JOIN_TIMEOUT_MS,
        });
        const answer = await requestV2OrV1<JsonObject>(client, server, send("v2"), send("v1"));
        await deps.joinAnswers.apply(pdu, rules, answer, server);
      });
      return { room_id: roomId };
    },

    /** `POST /knock`: local when this server is in the room, else through a resident. */
    async knock(requester: Requester, roomIdOrAlias: string, reason?: string, via: readonly string[] = []) {
      const { roomId, servers } = await resolveRoom(roomIdOrAlias);
      refuseBlocked(roomId);
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
      try {
        await remoteMembership(requester, roomId, "leave", reason === undefined ? {} : { reason }, []);
      } catch (e) {
        if (current !== "invite") throw e;
        deps.log.info("rejecting an invite locally: no server took the rejection", { roomId, userId: requester.userId, error: errorMessage(e) });
        rejectLocally(requester, roomId, reason);
      }
    },

  };
}
export type RemoteMembershipService = ReturnType<typeof createRemoteMembership>;
