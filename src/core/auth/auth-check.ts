/**
 * The authorization rules of room versions 1-12, split the way they are applied: the rules that
 * look only at the event and its `auth_events` (checked once on receipt), and the rules that look
 * at room state (checked against the auth events, the state before the event, the current state,
 * and during state resolution).
 */
import type { RoomVersionRules } from "../room-versions.ts";
import { isSupportedRoomVersion, rulesFor } from "../room-versions.ts";
import type { Pdu, StateKey } from "../types.ts";
import { refId, stateKeyOf } from "../types.ts";
import type { AuthEventMap } from "./auth-event-map.ts";
import { authEventMapOf, membershipOf, stateEvent } from "./auth-event-map.ts";
import { authEventTypesFor } from "./auth-events-selection.ts";
import type { AuthResult } from "./auth-result.ts";
import { ALLOWED, reject } from "./auth-result.ts";
import { checkCreateEvent } from "./create-rules.ts";
import { serverNameOf } from "./matrix-ids.ts";
import { checkMemberEvent } from "./member-rules.ts";
import { namedLevelOf, powerLevelOf, requiredPowerLevel } from "./power-levels.ts";
import { checkPowerLevelsEvent } from "./power-levels-rules.ts";

const CREATE_KEY: StateKey = stateKeyOf("m.room.create", "");

export interface AuthCheckOptions {
  /** Whether an auth event was itself rejected on receipt (rule 2.3); none is by default. */
  isRejected?: (eventId: string) => boolean;
}

/**
 * Authorises `pdu` given its auth events. Since v12 events do not cite the create event, but the
 * caller still passes it in `authEvents`.
 */
export function authCheck(
  pdu: Pdu,
  authEvents: readonly Pdu[],
  roomVersion: string,
  options: AuthCheckOptions = {},
): AuthResult {
  if (!isSupportedRoomVersion(roomVersion)) return reject(`unsupported room version ${JSON.stringify(roomVersion)}`);
  const rules = rulesFor(roomVersion);
  const independent = checkStateIndependentAuthRules(pdu, authEvents, rules, options);
  if (!independent.allowed || pdu.type === "m.room.create") return independent;
  return checkStateDependentAuthRules(pdu, authEventMapOf(authEvents), rules);
}

/** Rule 1 (m.room.create) and the rules on the `auth_events` list (rule 2; rules 2-3 since v12). */
export function checkStateIndependentAuthRules(
  pdu: Pdu,
  authEvents: readonly Pdu[],
  rules: RoomVersionRules,
  { isRejected }: AuthCheckOptions = {},
): AuthResult {
  if (pdu.type === "m.room.create") return checkCreateEvent(pdu, rules);
  const create = authEvents.find((event) => event.type === "m.room.create" && event.state_key === "");
  if (rules.roomIdIsCreateEventHash) {
    // since v12 (rule 2): the room id is the create event's id with the `!` sigil.
    if (create?.event_id === undefined || pdu.room_id !== `!${create.event_id.slice(1)}`) {
      return reject("since v12: room_id is not the event id of the room's m.room.create event");
    }
    if (isRejected?.(create.event_id)) return reject("since v12: the room's m.room.create event was rejected");
    // since v12 (rule 3.2): the create event is implied and must not be cited.
    if (pdu.auth_events.some((ref) => refId(ref) === create.event_id)) {
      return reject("since v12: auth_events must not include the m.room.create event");
    }
  }
  const expected = new Set(authEventTypesFor(pdu.type, pdu.sender, pdu.state_key, pdu.content, rules));
  const seen = new Set<StateKey>();
  for (const event of authEvents) {
    if (rules.roomIdIsCreateEventHash && event === create) continue;
    if (typeof event.state_key !== "string") return reject(`auth event ${event.event_id ?? ""} is not a state event`);
    const key = stateKeyOf(event.type, event.state_key);
    // 2.1: one entry per (type, state_key).
    if (seen.has(key)) return reject(`auth_events has duplicate entries for (${event.type}, ${event.state_key})`);
    // 2.2: only what the auth events selection asks for.
    if (!expected.has(key)) return reject(`auth_events has an unexpected entry (${event.type}, ${event.state_key})`);
    // 2.3: a rejected event grants nothing.
    if (isRejected && event.event_id !== undefined && isRejected(event.event_id)) {
      return reject(`auth event ${event.event_id} was itself rejected`);
    }
    // 2.5: auth events come from the same room.
    if (event.room_id !== pdu.room_id) return reject(`auth event ${event.event_id ?? ""} belongs to another room`);
    seen.add(key);
  }
  // 2.4, until v11: the create event must be cited.
  if (!rules.roomIdIsCreateEventHash && !seen.has(CREATE_KEY)) return reject("auth_events has no m.room.create event");
  return ALLOWED;
}

/** Rules 3 onwards (4 onwards since v12), checked against a state map (auth events or room state). */
export function checkStateDependentAuthRules(pdu: Pdu, state: AuthEventMap, rules: RoomVersionRules): AuthResult {
  if (pdu.type === "m.room.create") return ALLOWED;
  const create = stateEvent(state, "m.room.create");
  if (!create) return reject("no m.room.create event to authorise against");
  // Rule 3: `m.federate: false` keeps the room to the creator's server.
  if (create.content["m.federate"] === false && serverNameOf(pdu.sender) !== serverNameOf(create.sender)) {
    return reject("the room does not federate and the sender is on another server");
  }
  // Rule 4, until v5: aliases are the business of the server named by the state key.
  if (rules.specialCaseAliasesAuth && pdu.type === "m.room.aliases") {
    if (typeof pdu.state_key !== "string") return reject("until v6: m.room.aliases needs a state_key");
    if (pdu.state_key !== serverNameOf(pdu.sender)) {
      return reject("until v6: m.room.aliases state_key must be the sender's domain");
    }
    return ALLOWED;
  }
  if (pdu.type === "m.room.member") return checkMemberEvent(pdu, state, rules);
  // Rule 6: everything else needs a joined sender.
  if (membershipOf(state, pdu.sender) !== "join") return reject("the sender is not joined to the room");
  const senderLevel = powerLevelOf(pdu.sender, state, rules);
  // Rule 7: third-party invites need the invite level, nothing else.
  if (pdu.type === "m.room.third_party_invite") {
    if (senderLevel >= namedLevelOf("invite", state, rules)) return ALLOWED;
    return reject("m.room.third_party_invite: the sender's power level is below the invite level");
  }
  // Rule 8: the event type's required power level.
  const isState = typeof pdu.state_key === "string";
  const required = requiredPowerLevel(pdu.type, isState, state, rules);
  if (required > senderLevel) {
    return reject(`${pdu.type} needs power level ${required}; the sender has ${senderLevel}`);
  }
  // Rule 9: state keyed by a user id belongs to that user.
  if (isState && pdu.state_key?.startsWith("@") && pdu.state_key !== pdu.sender) {
    return reject("a state_key starting with @ must be the sender's user id");
  }
  if (pdu.type === "m.room.power_levels") return checkPowerLevelsEvent(pdu, state, rules, senderLevel);
  // Rule 11, v1-v2 only (event ids carry a domain): redactions need the redact level or the same origin.
  if (rules.redactionsAuthorisedByDomain && pdu.type === "m.room.redaction") return checkV1Redaction(pdu, state, rules, senderLevel);
  return ALLOWED;
}

function checkV1Redaction(pdu: Pdu, state: AuthEventMap, rules: RoomVersionRules, senderLevel: number): AuthResult {
  if (senderLevel >= namedLevelOf("redact", state, rules)) return ALLOWED;
  const ownDomain = pdu.event_id === undefined ? undefined : serverNameOf(pdu.event_id);
  const redactedDomain = typeof pdu.redacts === "string" ? serverNameOf(pdu.redacts) : undefined;
  if (ownDomain !== undefined && ownDomain === redactedDomain) return ALLOWED;
  return reject("until v3: a redaction needs the redact level or must come from the redacted event's server");
}
