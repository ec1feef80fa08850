/**
 * The one layout of a PDU template (an event before its hashes and signatures), for our own
 * events, the templates we answer `make_join`/`make_leave`/`make_knock` with, and the event we
 * build from a resident server's template. The room version decides the keys: `origin` (rooms
 * 1-10), a minted `event_id` (rooms 1-2), a top-level `redacts` (rooms 1-10).
 */
import { randomBytes } from "node:crypto";
import type { RoomVersionRules } from "../room-versions.ts";
import type { EventRef, JsonObject, PduTemplate } from "../types.ts";

export interface TemplateFields {
  /** Absent only for the create event since v12 (its hash becomes the room id). */
  roomId?: string;
  sender: string;
  type: string;
  stateKey?: string;
  content: JsonObject;
  originServerTs: number;
  depth: number;
  prevEvents: readonly EventRef[];
  authEvents: readonly EventRef[];
  /** The event an m.room.redaction redacts: top-level before v11 (in content since). */
  redacts?: string;
  /** The server creating the event: `origin` where the version carries it. */
  origin: string;
}

export interface TemplateOptions {
  /** Rooms 1-2: mint the event id on `origin` now (the creator signs it next). */
  mintEventId?: boolean;
}

/** How events are cited: `[id, {sha256}]` in rooms 1-2, the bare id since v3. */
export function eventRefs(ids: readonly string[], rules: RoomVersionRules, sha256Of: (eventId: string) => string | undefined): EventRef[] {
  return rules.hashedEventRefs ? ids.map((id) => [id, { sha256: sha256Of(id) ?? "" }]) : [...ids];
}

export function pduTemplate(fields: TemplateFields, rules: RoomVersionRules, opts: TemplateOptions = {}): PduTemplate {
  const template: PduTemplate = {
    sender: fields.sender,
    type: fields.type,
    content: fields.content,
    origin_server_ts: fields.originServerTs,
    depth: fields.depth,
    prev_events: [...fields.prevEvents],
    auth_events: [...fields.authEvents],
  };
  if (fields.roomId !== undefined) template.room_id = fields.roomId;
  if (fields.stateKey !== undefined) template.state_key = fields.stateKey;
  // before v11: the creating server is named on the event, and a redaction's target is top-level.
  if (rules.eventsCarryOrigin) template.origin = fields.origin;
  if (fields.redacts !== undefined && !rules.redactsInContent) template.redacts = fields.redacts;
  // Rooms 1-2: the id is random on the creating server's name, part of what is hashed and signed.
  if (opts.mintEventId && rules.eventIdInEvent) template.event_id = `$${randomBytes(18).toString("base64url")}:${fields.origin}`;
  return template;
}
