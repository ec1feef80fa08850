/**
 * Authorization rules for `m.room.member` (rule 5 of v3+, rule 4 of v6+ numbering): joins
 * (including restricted joins since v8 and `knock_restricted` since v10), invites (including
 * third-party invites), leaves and kicks, bans, and knocks since v7.
 */
import type { RoomVersionRules } from "../room-versions.ts";
import type { JsonObject, Pdu } from "../types.ts";
import { refId } from "../types.ts";
import type { AuthEventMap } from "./auth-event-map.ts";
import { joinRuleOf, membershipOf, stateEvent } from "./auth-event-map.ts";
import type { AuthResult } from "./auth-result.ts";
import { ALLOWED, reject } from "./auth-result.ts";
import { serverNameOf } from "./matrix-ids.ts";
import { namedLevelOf, powerLevelOf } from "./power-levels.ts";
import { roomCreatorOf } from "./room-creators.ts";
import { checkThirdPartyInvite } from "./third-party-invite.ts";

export function checkMemberEvent(pdu: Pdu, state: AuthEventMap, rules: RoomVersionRules): AuthResult {
  const target = pdu.state_key;
  const membership = pdu.content.membership;
  if (typeof target !== "string" || typeof membership !== "string") {
    return reject("m.room.member needs a state_key and a content.membership");
  }
  // since v8: a join authorised by another server's user must carry that server's signature.
  const authoriser = pdu.content.join_authorised_via_users_server;
  if (rules.restrictedJoins && authoriser !== undefined) {
    const server = typeof authoriser === "string" ? serverNameOf(authoriser) : undefined;
    if (server === undefined || pdu.signatures[server] === undefined) {
      return reject("since v8: the event is not signed by the server of join_authorised_via_users_server");
    }
  }
  switch (membership) {
    case "join":
      return checkJoin(pdu, target, state, rules);
    case "invite":
      return checkInvite(pdu, target, state, rules);
    case "leave":
      return checkLeave(pdu, target, state, rules);
    case "ban":
      return checkBan(pdu, target, state, rules);
    case "knock":
      // since v7: knocking exists; before, it is an unknown membership.
      if (rules.knocking) return checkKnock(pdu, target, state, rules);
  }
  return reject(`unknown membership ${JSON.stringify(membership)}`);
}

function checkJoin(pdu: Pdu, target: string, state: AuthEventMap, rules: RoomVersionRules): AuthResult {
  // The creator's own first join, straight after the create event.
  const create = stateEvent(state, "m.room.create");
  if (
    create !== undefined &&
    pdu.prev_events.length === 1 &&
    refId(pdu.prev_events[0]!) === create.event_id &&
    target === roomCreatorOf(create, rules)
  ) {
    return ALLOWED;
  }
  if (pdu.sender !== target) return reject("join: sender does not match state_key");
  const current = membershipOf(state, target);
  if (current === "ban") return reject("join: the sender is banned");
  const joinRule = joinRuleOf(state);
  const alreadyInvitedOrJoined = current === "invite" || current === "join";
  // since v7: `knock` rooms admit invited users like `invite` rooms.
  if (joinRule === "invite" || (rules.knocking && joinRule === "knock")) {
    return alreadyInvitedOrJoined ? ALLOWED : reject(`join: the join rule is ${joinRule} and the sender is not invited`);
  }
  // since v8: restricted rooms; since v10 also `knock_restricted`.
  if ((rules.restrictedJoins && joinRule === "restricted") || (rules.knockRestrictedJoins && joinRule === "knock_restricted")) {
    if (alreadyInvitedOrJoined) return ALLOWED;
    return checkAuthorisedJoin(pdu.content, state, rules);
  }
  if (joinRule === "public") return ALLOWED;
  return reject(`join: the join rule ${JSON.stringify(joinRule)} does not allow joining`);
}

/** since v8: a restricted join must name a joined user who may invite. */
function checkAuthorisedJoin(content: JsonObject, state: AuthEventMap, rules: RoomVersionRules): AuthResult {
  const authoriser = content.join_authorised_via_users_server;
  if (typeof authoriser !== "string") {
    return reject("since v8: a restricted join needs join_authorised_via_users_server when not invited");
  }
  if (membershipOf(state, authoriser) !== "join") {
    return reject("since v8: join_authorised_via_users_server is not a joined member of the room");
  }
  if (powerLevelOf(authoriser, state, rules) < namedLevelOf("invite", state, rules)) {
    return reject("since v8: join_authorised_via_users_server may not invite users");
  }
  return ALLOWED;
}

function checkInvite(pdu: Pdu, target: string, state: AuthEventMap, rules: RoomVersionRules): AuthResult {
  const thirdPartyInvite = pdu.content.third_party_invite;
  if (thirdPartyInvite !== undefined) {
    if (membershipOf(state, target) === "ban") return reject("invite: the target user is banned");
    return checkThirdPartyInvite(pdu, target, thirdPartyInvite, state);
  }
  if (membershipOf(state, pdu.sender) !== "join") return reject("invite: the sender is not joined to the room");
  const targetMembership = membershipOf(state, target);
  if (targetMembership === "join" || targetMembership === "ban") {
    return reject(`invite: the target user is already ${targetMembership === "join" ? "joined" : "banned"}`);
  }
  if (powerLevelOf(pdu.sender, state, rules) >= namedLevelOf("invite", state, rules)) return ALLOWED;
  return reject("invite: the sender's power level is below the invite level");
}

function checkLeave(pdu: Pdu, target: string, state: AuthEventMap, rules: RoomVersionRules): AuthResult {
  const senderMembership = membershipOf(state, pdu.sender);
  if (pdu.sender === target) {
    // since v7: a knock can be withdrawn like an invite can be declined.
    const mayLeave =
      senderMembership === "invite" || senderMembership === "join" || (rules.knocking && senderMembership === "knock");
    return mayLeave ? ALLOWED : reject("leave: the sender is not joined, invited or knocking");
  }
  if (senderMembership !== "join") return reject("kick: the sender is not joined to the room");
  const senderLevel = powerLevelOf(pdu.sender, state, rules);
  if (membershipOf(state, target) === "ban" && senderLevel < namedLevelOf("ban", state, rules)) {
    return reject("unban: the sender's power level is below the ban level");
  }
  if (senderLevel >= namedLevelOf("kick", state, rules) && powerLevelOf(target, state, rules) < senderLevel) {
    return ALLOWED;
  }
  return reject("kick: the sender needs the kick level and more power than the target user");
}

function checkBan(pdu: Pdu, target: string, state: AuthEventMap, rules: RoomVersionRules): AuthResult {
  if (membershipOf(state, pdu.sender) !== "join") return reject("ban: the sender is not joined to the room");
  const senderLevel = powerLevelOf(pdu.sender, state, rules);
  if (senderLevel >= namedLevelOf("ban", state, rules) && powerLevelOf(target, state, rules) < senderLevel) {
    return ALLOWED;
  }
  return reject("ban: the sender needs the ban level and more power than the target user");
}

function checkKnock(pdu: Pdu, target: string, state: AuthEventMap, rules: RoomVersionRules): AuthResult {
  const joinRule = joinRuleOf(state);
  // since v10: `knock_restricted` rooms accept knocks too.
  if (joinRule !== "knock" && !(rules.knockRestrictedJoins && joinRule === "knock_restricted")) {
    return reject(`knock: the join rule ${JSON.stringify(joinRule)} does not allow knocking`);
  }
  if (pdu.sender !== target) return reject("knock: sender does not match state_key");
  const current = membershipOf(state, pdu.sender);
  if (current === "ban" || current === "invite" || current === "join") {
    return reject(`knock: the sender is already ${current === "ban" ? "banned" : current === "join" ? "joined" : "invited"}`);
  }
  return ALLOWED;
}
