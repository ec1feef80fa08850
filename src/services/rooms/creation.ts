/**
 * `POST /createRoom` (spec "Room creation"): the events implied by the request, in the order the
 * spec fixes (create, creator's join, power levels, canonical alias, preset, initial_state, name
 * and topic, invites), written to the new room as ONE transaction on the room queue, so a refused
 * step leaves no half-created room behind.
 */
import { isValidUserId } from "../../core";
import { isSupportedRoomVersion, rulesFor, type RoomVersionRules } from "../../core/room-versions";
import { stateKeyOf, type JsonObject, type StateKey } from "../../core/types";
import type { Config } from "../../config";
import type { Storage } from "../../storage";
import { assertNotSuspended, isRateLimited, type Requester } from "../accounts/access-tokens";
import type { RateLimiter } from "../rate-limit";
import type { EventBuilder, EventDraft } from "./event-builder";
import type { EventPersister } from "./persister";
import type { EventsService } from "./send";
import { MatrixError, badJson, forbidden, invalidParam } from "../matrix-error";
import type { RoomHeads } from "./heads";
import type { RoomQueue, TaskContext } from "./queue";
import { memberContent, requireInvitee } from "./member-content";

export type Preset = "private_chat" | "public_chat" | "trusted_private_chat";

export interface CreateRoomRequest {
  visibility?: "public" | "private";
  room_alias_name?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  room_version?: string;
  creation_content?: JsonObject;
  initial_state?: Array<{ type: string; state_key?: string; content: JsonObject }>;
  preset?: Preset;
  is_direct?: boolean;
  power_level_content_override?: JsonObject;
}

const presets: Record<Preset, { join_rule: string; history_visibility: string; guest_access: string }> = {
  private_chat: { join_rule: "invite", history_visibility: "shared", guest_access: "can_join" },
  trusted_private_chat: { join_rule: "invite", history_visibility: "shared", guest_access: "can_join" },
  public_chat: { join_rule: "public", history_visibility: "shared", guest_access: "forbidden" },
};

export const unsupportedRoomVersion = (version: string) =>
  new MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", `Room version ${JSON.stringify(version)} is not supported`);

/** The default power levels for a new room (creator's power set by the caller as the version asks). */
export function defaultPowerLevels(rules: RoomVersionRules, preset: Preset): JsonObject {
  return {
    users: {},
    users_default: 0,
    events: {
      "m.room.name": 50,
      "m.room.power_levels": 100,
      "m.room.history_visibility": 100,
      "m.room.canonical_alias": 50,
      "m.room.avatar": 50,
      // since v12: tombstoning must need more than state_default (creators outrank everyone anyway).
      "m.room.tombstone": rules.privilegedCreators ? 150 : 100,
      "m.room.server_acl": 100,
      "m.room.encryption": 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    // Private rooms let any member invite; public rooms keep invites to moderators.
    invite: preset === "public_chat" ? 50 : 0,
  };
}

export function createRoomCreation(deps: {
  config: Config;
  storage: Storage;
  queue: RoomQueue;
  heads: RoomHeads;
  builder: EventBuilder;
  persister: EventPersister;
  events: EventsService;
  /** Drops in-memory views after an aborted creation (its state groups were rolled back). */
  invalidate(): void;
  now(): number;
  rateLimits: RateLimiter;
}) {
  const { config, storage } = deps;
  const server = config.server_name;

  function plan(req: CreateRoomRequest, creator: string, rules: RoomVersionRules, alias: string | undefined): EventDraft[] {
    const preset: Preset = req.preset ?? (req.visibility === "public" ? "public_chat" : "private_chat");
    const invitees = [...new Set(req.invite ?? [])];
    const drafts: EventDraft[] = [];
    const state = (type: string, content: JsonObject, state_key = "") => ({ type, state_key, content, sender: creator });

    drafts.push(state("m.room.member", memberContent(storage, creator, "join"), creator));

    const initial = new Map<StateKey, { type: string; state_key: string; content: JsonObject }>();
    for (const e of req.initial_state ?? []) {
      const stateKey = e.state_key ?? "";
      if (e.type === "m.room.create" || (e.type === "m.room.member" && stateKey === creator)) {
        throw badJson(`initial_state may not set ${e.type}`);
      }
      initial.set(stateKeyOf(e.type, stateKey), { type: e.type, state_key: stateKey, content: e.content });
    }
    const fromInitial = (type: string) => {
      const key = stateKeyOf(type, "");
      const e = initial.get(key);
      initial.delete(key);
      return e?.content;
    };

    const levels = (fromInitial("m.room.power_levels") as JsonObject | undefined) ?? defaultPowerLevels(rules, preset);
    const users: JsonObject = { ...((levels.users as JsonObject | undefined) ?? {}) };
    // Until v12 the creator holds power 100; since v12 creators are infinitely powerful and unlisted.
    if (!rules.privilegedCreators) {
      users[creator] = 100;
      if (preset === "trusted_private_chat") for (const u of invitees) users[u] = 100;
    }
    drafts.push(state("m.room.power_levels", { ...levels, users, ...(req.power_level_content_override ?? {}) }));

    if (alias !== undefined) drafts.push(state("m.room.canonical_alias", { alias }));

    const p = presets[preset];
    const presetEvents: Array<[string, JsonObject]> = [
      ["m.room.join_rules", { join_rule: p.join_rule }],
      ["m.room.history_visibility", { history_visibility: p.history_visibility }],
      ["m.room.guest_access", { guest_access: p.guest_access }],
    ];
    for (const [type, content] of presetEvents) drafts.push(state(type, fromInitial(type) ?? content));

    if (req.name !== undefined) initial.delete(stateKeyOf("m.room.name", ""));
    if (req.topic !== undefined) initial.delete(stateKeyOf("m.room.topic", ""));
    for (const e of initial.values()) drafts.push(state(e.type, e.content, e.state_key));
    if (req.name !== undefined) drafts.push(state("m.room.name", { name: req.name }));
    if (req.topic !== undefined) {
      drafts.push(state("m.room.topic", { topic: req.topic, "m.topic": { "m.text": [{ body: req.topic, mimetype: "text/plain" }] } }));
    }
    // Users of other servers are invited through their servers once the room exists (federation).
    for (const invitee of invitees.filter((u) => u.endsWith(`:${server}`))) {
      const content = memberContent(storage, invitee, "invite");
      if (req.is_direct) content.is_direct = true;
      drafts.push(state("m.room.member", content, invitee));
    }
    return drafts;
  }

  function creationContent(req: CreateRoomRequest, creator: string, rules: RoomVersionRules): JsonObject {
    const content: JsonObject = { ...(req.creation_content ?? {}), room_version: rules.id };
    // until v11: the creator is named in the content (since v11 it is the sender).
    if (rules.useCreatorFromSender) delete content.creator;
    else content.creator = creator;
    const invitees = req.invite ?? [];
    if (rules.privilegedCreators && req.preset === "trusted_private_chat" && invitees.length > 0) {
      const listed = Array.isArray(content.additional_creators) ? content.additional_creators : [];
      content.additional_creators = [...new Set([...listed, ...invitees])];
    }
    return content;
  }

  interface RoomSpec {
    creator: string;
    rules: RoomVersionRules;
    createContent: JsonObject;
    drafts: readonly EventDraft[];
    /** Before v12: the room id to use (an upgrade names it in the old room first). */
    roomId?: string;
    inside?: (roomId: string) => void;
  }

  /**
   * Writes a room from its create content and the events that follow it, inside a queue task, in
   * a savepoint of its own: a refused step undoes the steps already written. `inside` runs in that
   * savepoint once the events are written.
   */
  function writeRoom(ctx: TaskContext, spec: RoomSpec): string {
    const { creator, rules } = spec;
    const built = deps.builder.buildCreate({ type: "m.room.create", state_key: "", content: spec.createContent, sender: creator }, rules, spec.roomId);
    const roomId = built.roomId;
    if (storage.rooms.get(roomId)) throw new MatrixError(409, "M_UNKNOWN", "A room was just created with the same create event; retry");
    try {
      storage.transaction(() => {
        storage.rooms.insert(roomId, rules.id, creator, deps.now());
        const head = deps.heads.start(roomId, rules.id);
        deps.persister.persist(head, { pdu: built.pdu, json: built.json, stateBefore: null });
        for (const draft of spec.drafts) deps.events.append(head, draft, ctx);
        spec.inside?.(roomId);
      });
    } catch (e) {
      deps.invalidate();
      // An event the request implies was refused: the request's initial state is invalid.
      if (e instanceof MatrixError && e.errcode === "M_FORBIDDEN") throw new MatrixError(400, "M_INVALID_ROOM_STATE", e.message);
      throw e;
    }
    return roomId;
  }

  /** Creates a room in one transaction on the room queue. */
  function createWith(spec: RoomSpec): Promise<string> {
    // A user's room creations are serialised on one key: no one else can know the new room yet.
    return deps.queue.run(`createRoom ${spec.creator}`, (ctx) => writeRoom(ctx, spec));
  }

  return {
    createWith,
    writeRoom,
    mintRoomId: deps.builder.mintRoomId,

    async createRoom(requester: Requester, req: CreateRoomRequest): Promise<{ room_id: string }> {
      if (!config.allow_room_creation) throw forbidden("Room creation is disabled on this server");
      assertNotSuspended(requester, "create rooms");
      if (isRateLimited(requester)) deps.rateLimits.take("room_creation", requester.userId);
      const version = req.room_version ?? config.default_room_version;
      if (!isSupportedRoomVersion(version)) throw unsupportedRoomVersion(version);
      const rules = rulesFor(version);
      const creator = requester.userId;
      for (const invitee of req.invite ?? []) {
        if (!isValidUserId(invitee)) throw invalidParam(`${JSON.stringify(invitee)} is not a user id`);
        requireInvitee(storage, invitee, server);
      }
      let alias: string | undefined;
      if (req.room_alias_name !== undefined) {
        if (!/^[^\s:]+$/.test(req.room_alias_name)) throw invalidParam("room_alias_name must be a localpart without ':' or whitespace");
        alias = `#${req.room_alias_name}:${server}`;
        if (Buffer.byteLength(alias) > 255) throw invalidParam("The room alias is too long");
        if (storage.aliases.get(alias)) throw new MatrixError(400, "M_ROOM_IN_USE", `Room alias ${alias} is already in use`);
      }
      const roomId = await createWith({
        creator,
        rules,
        createContent: creationContent(req, creator, rules),
        drafts: plan(req, creator, rules, alias),
        inside: (id) => {
          if (alias !== undefined && !storage.aliases.insert(alias, id, creator, deps.now())) {
            throw new MatrixError(400, "M_ROOM_IN_USE", `Room alias ${alias} is already in use`);
          }
          if (req.visibility === "public") storage.rooms.setPublished(id, true);
        },
      });
      return { room_id: roomId };
    },
  };
}
export type RoomCreation = ReturnType<typeof createRoomCreation>;
