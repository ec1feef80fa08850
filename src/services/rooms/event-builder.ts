/**
 * Builds a complete, signed PDU for a local sender on top of a room's head: `auth_events` chosen
 * from the current state by the auth events selection, `prev_events` = the forward extremities,
 * `depth` one past the greatest, the room version's id and reference format, content hash and our
 * signature. It then checks the result (format, size, auth rules) and refuses with a Matrix error.
 */
import {
  authCheck,
  authEventTypesFor,
  canonicalJson,
  eventRefs,
  hashAndSignEvent,
  JsonError,
  MAX_PDU_BYTES,
  pduTemplate,
  validatePdu,
  type SigningKey,
} from "../../core";
import type { RoomVersionRules } from "../../core/room-versions";
import { stateKeyOf, type JsonObject, type Pdu, type PduTemplate } from "../../core/types";
import type { EventStore } from "./event-store";
import { badJson, forbidden, tooLarge } from "../matrix-error";
import type { RoomHead } from "./heads";
import type { StateMap } from "./state";
import { randomBytes } from "node:crypto";

/** What a local user asks to send. */
export interface EventDraft {
  type: string;
  state_key?: string;
  content: JsonObject;
  sender: string;
  /** Before v11 a redaction names its target at the top level (since v11: in content). */
  redacts?: string;
  /** An application service's `ts` (spec "Timestamp massaging"); else the server's clock. */
  origin_server_ts?: number;
}

/** A signed PDU with its id attached, and its canonical JSON as stored (computed once). */
export type BuiltEvent = Pdu & { event_id: string };
export interface Built {
  pdu: BuiltEvent;
  json: string;
}

/** Depth is an integer that canonical JSON can carry. */
const MAX_DEPTH = Number.MAX_SAFE_INTEGER;
const CREATE_KEY = stateKeyOf("m.room.create", "");

export interface BuilderDeps {
  serverName: string;
  signingKey: SigningKey;
  eventStore: EventStore;
  now(): number;
}

export function createEventBuilder(deps: BuilderDeps) {
  const { serverName, signingKey, eventStore } = deps;

  const sha256Of = (eventId: string) => eventStore.getPdu(eventId)?.hashes.sha256;
  /** A fresh room id on our server name, for room versions before v12. */
  const mintRoomId = () => `!${randomBytes(18).toString("base64url")}:${serverName}`;

  /** Client bodies may carry floats; an event cannot (canonical JSON has integers only). */
  function hashOrRefuse(template: PduTemplate, rules: RoomVersionRules) {
    try {
      return hashAndSignEvent(template, rules, serverName, signingKey.keyId, signingKey.seed);
    } catch (e) {
      if (e instanceof JsonError) throw badJson(`Event is not canonical JSON: ${e.message}`);
      throw e;
    }
  }

  function sign(template: PduTemplate, rules: RoomVersionRules): Built {
    const { pdu, eventId } = hashOrRefuse(template, rules);
    // The stored form: what was signed (with the id only where the format carries it).
    const json = canonicalJson(pdu);
    const size = Buffer.byteLength(json, "utf8");
    if (size > MAX_PDU_BYTES) throw tooLarge(`Event is ${size} bytes; the limit is ${MAX_PDU_BYTES}`);
    const check = validatePdu(pdu, rules);
    if (!check.valid) throw badJson(check.reason);
    return { pdu: Object.assign(pdu, { event_id: eventId }), json };
  }

  return {
    mintRoomId,

    /**
     * The room's m.room.create event. Since v12 it has no `room_id` and the room id is derived from
     * it; before, the room id is `roomId` if given (see `mintRoomId`), else a fresh one.
     */
    buildCreate(draft: EventDraft, rules: RoomVersionRules, roomId = mintRoomId()): Built & { roomId: string } {
      const fields = {
        sender: draft.sender,
        type: "m.room.create",
        stateKey: "",
        content: draft.content,
        originServerTs: deps.now(),
        depth: 1,
        prevEvents: [],
        authEvents: [],
        origin: serverName,
      };
      let built: Built;
      if (rules.roomIdIsCreateEventHash) {
        // since v12: no room_id; the room id is the create event's id with the `!` sigil.
        built = sign(pduTemplate(fields, rules, { mintEventId: true }), rules);
        roomId = `!${built.pdu.event_id.slice(1)}`;
      } else {
        built = sign(pduTemplate({ ...fields, roomId }, rules, { mintEventId: true }), rules);
      }
      const verdict = authCheck(built.pdu, [], rules.id);
      if (!verdict.allowed) throw badJson(verdict.reason);
      return { roomId, ...built };
    },

    /** Builds and authorises `draft` on top of `head`, whose current state is `state`. */
    build(head: RoomHead, state: StateMap, draft: EventDraft): Built {
      const { rules } = head;
      const authIds: string[] = [];
      for (const key of authEventTypesFor(draft.type, draft.sender, draft.state_key, draft.content, rules)) {
        const id = state.get(key);
        if (id !== undefined) authIds.push(id);
      }
      const template = pduTemplate(
        {
          roomId: head.roomId,
          sender: draft.sender,
          type: draft.type,
          stateKey: draft.state_key,
          content: draft.content,
          originServerTs: draft.origin_server_ts ?? deps.now(),
          depth: Math.min(head.depth + 1, MAX_DEPTH),
          prevEvents: eventRefs(head.extremities, rules, sha256Of),
          authEvents: eventRefs(authIds, rules, sha256Of),
          redacts: draft.redacts,
          origin: serverName,
        },
        rules,
        { mintEventId: true },
      );
      const built = sign(template, rules);

      // since v12 the create event is implied, not cited, but the auth rules still need it.
      const authPdus: Pdu[] = [];
      const ids = rules.roomIdIsCreateEventHash ? [...authIds, state.get(CREATE_KEY)] : authIds;
      for (const id of ids) {
        const event = id === undefined ? null : eventStore.getPdu(id);
        if (event) authPdus.push(event);
      }
      const verdict = authCheck(built.pdu, authPdus, head.version);
      if (!verdict.allowed) throw forbidden(verdict.reason);
      return built;
    },
  };
}
export type EventBuilder = ReturnType<typeof createEventBuilder>;
