/**
 * Which event a redaction targets, and whether a server may apply it. Auth rules only check the
 * redaction's sender against the `redact` level or (v1-2) the event id's domain; since v3 the
 * spec leaves the domain check to the server applying it: apply when the redacter has the
 * `redact` power level, or when both events come from the same server.
 */
import { namedLevelOf, powerLevelOf } from "../../core";
import type { RoomVersionRules } from "../../core/room-versions";
import { stateKeyOf, type Pdu } from "../../core/types";
import { authMapOf } from "./auth-inputs";
import type { EventStore } from "./event-store";
import type { StateMap } from "./state";

const CREATE = stateKeyOf("m.room.create", "");
const POWER_LEVELS = stateKeyOf("m.room.power_levels", "");

/** The target of an m.room.redaction: in `content.redacts` since v11, top-level before. */
export function redactsOf(pdu: Pdu, rules: RoomVersionRules): string | undefined {
  const target = rules.redactsInContent ? pdu.content.redacts : pdu.redacts;
  return typeof target === "string" ? target : undefined;
}

export function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(":") + 1);
}

/** Whether `redaction` (whose state-before is `state`) may redact `target` on this server. */
export function redactionAllowed(redaction: Pdu, target: Pdu, state: StateMap, store: EventStore, rules: RoomVersionRules): boolean {
  if (serverOf(redaction.sender) === serverOf(target.sender)) return true;
  return hasRedactPower(redaction.sender, state, store, rules);
}

/** Whether `userId` holds the room's `redact` power level under `state`. */
export function hasRedactPower(userId: string, state: StateMap, store: EventStore, rules: RoomVersionRules): boolean {
  const auth = authMapOf(state, store, [CREATE, POWER_LEVELS]);
  return powerLevelOf(userId, auth, rules) >= namedLevelOf("redact", auth, rules);
}
