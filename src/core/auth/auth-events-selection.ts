/**
 * The spec's "auth events selection": which `(type, state_key)` entries of the room state a new
 * event must cite in `auth_events`. Event creation uses it to fill `auth_events`; authorization
 * uses it to refuse unexpected entries; state resolution uses it to pick state for each check.
 */
import type { RoomVersionRules } from "../room-versions.ts";
import type { JsonObject, StateKey } from "../types.ts";
import { isJsonObject, stateKeyOf } from "../types.ts";

const JOIN_RULE_MEMBERSHIPS = new Set(["join", "invite", "knock"]);
const POWER_LEVELS_KEY = stateKeyOf("m.room.power_levels", "");
const CREATE_KEY = stateKeyOf("m.room.create", "");
const JOIN_RULES_KEY = stateKeyOf("m.room.join_rules", "");

/** The state keys whose current events belong in the new event's `auth_events` (empty for m.room.create). */
export function authEventTypesFor(
  type: string,
  sender: string,
  stateKey: string | undefined,
  content: JsonObject,
  rules: RoomVersionRules,
): StateKey[] {
  if (type === "m.room.create") return [];
  const keys: StateKey[] = [POWER_LEVELS_KEY, stateKeyOf("m.room.member", sender)];
  const add = (key: StateKey) => {
    if (!keys.includes(key)) keys.push(key);
  };
  // since v12: the create event is implied by the room id and must not be cited.
  if (!rules.roomIdIsCreateEventHash) add(CREATE_KEY);
  if (type === "m.room.member" && typeof stateKey === "string") {
    add(stateKeyOf("m.room.member", stateKey));
    const membership = content.membership;
    if (typeof membership === "string" && JOIN_RULE_MEMBERSHIPS.has(membership)) add(JOIN_RULES_KEY);
    if (membership === "invite") {
      const token = thirdPartyInviteToken(content);
      if (token !== undefined) add(stateKeyOf("m.room.third_party_invite", token));
    }
    const authoriser = content.join_authorised_via_users_server;
    // since v8: a restricted join cites the member event of the user who authorised it.
    if (membership === "join" && rules.restrictedJoins && typeof authoriser === "string") {
      add(stateKeyOf("m.room.member", authoriser));
    }
  }
  return keys;
}

/** `content.third_party_invite.signed.token` when it is a string. */
export function thirdPartyInviteToken(content: JsonObject): string | undefined {
  const invite = content.third_party_invite;
  const signed = isJsonObject(invite) ? invite.signed : undefined;
  return isJsonObject(signed) && typeof signed.token === "string" ? signed.token : undefined;
}
