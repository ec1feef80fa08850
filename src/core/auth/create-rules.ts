/**
 * Authorization rule 1: the `m.room.create` event, which has no auth events and no state to be
 * checked against.
 */
import type { RoomVersionRules } from "../room-versions.ts";
import { isSupportedRoomVersion } from "../room-versions.ts";
import type { Pdu } from "../types.ts";
import type { AuthResult } from "./auth-result.ts";
import { ALLOWED, reject } from "./auth-result.ts";
import { isValidUserId } from "../ids.ts";
import { serverNameOf } from "./matrix-ids.ts";

export function checkCreateEvent(pdu: Pdu, rules: RoomVersionRules): AuthResult {
  // 1.1: the create event starts the room.
  if (pdu.prev_events.length > 0) return reject("m.room.create must not have prev_events");
  if (rules.roomIdIsCreateEventHash) {
    // since v12 (1.2): the room id is derived from the create event, so it cannot carry one.
    if (pdu.room_id !== undefined) return reject("since v12: m.room.create must not have a room_id");
  } else if (serverNameOf(pdu.room_id) !== serverNameOf(pdu.sender)) {
    // 1.2: the room id's domain must be the sender's.
    return reject("m.room.create: the domain of room_id does not match the sender's domain");
  }
  // 1.3: a room version we do not know cannot be authorised.
  const roomVersion = pdu.content.room_version;
  if (roomVersion !== undefined && !isSupportedRoomVersion(roomVersion)) {
    return reject(`m.room.create: unrecognised room_version ${JSON.stringify(roomVersion)}`);
  }
  // 1.4, until v10: the creator is named in content (since v11 it is the sender).
  if (!rules.useCreatorFromSender && pdu.content.creator === undefined) {
    return reject("m.room.create: content has no creator property");
  }
  // since v12 (1.4): additional creators must all be valid user ids.
  const additional = pdu.content.additional_creators;
  if (rules.privilegedCreators && additional !== undefined) {
    if (!Array.isArray(additional) || !additional.every((user) => typeof user === "string" && isValidUserId(user))) {
      return reject("since v12: additional_creators must be an array of valid user ids");
    }
  }
  return ALLOWED;
}
