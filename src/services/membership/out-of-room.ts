/**
 * Memberships of our users in rooms this server is not in: an invite received over federation,
 * a knock, the rejection of an invite. The event is kept as an outlier (with the room's stripped
 * state in `unsigned.invite_room_state`, where clients expect it) and the user's membership row
 * points at it, so /sync can show it. An invite is told to `onInvite` in that same transaction
 * (push notifications).
 */
import { canonicalJson, wireForm, type CheckedPdu, type JsonObject, type RoomVersionRules } from "../../core";
import type { Storage } from "../../storage";
import type { Clock } from "../../runtime/clock";
import type { Notifier } from "../sync/notifier";

export type RecordOutOfRoom = (pdu: CheckedPdu, rules: RoomVersionRules, strippedRoomState?: JsonObject[]) => void;

export function createOutOfRoomMemberships(deps: {
  storage: Storage;
  clock: Clock;
  notifier: Notifier;
  onInvite?: (pdu: CheckedPdu, strippedRoomState: readonly JsonObject[]) => void;
}): RecordOutOfRoom {
  const { storage } = deps;

  /** A membership stored for a room this server is not in (an invite, a knock, a rejection). */
  return function recordOutOfRoom(pdu: CheckedPdu, rules: RoomVersionRules, strippedRoomState?: JsonObject[]): void {
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
      if (membership === "invite") deps.onInvite?.(pdu, strippedRoomState ?? []);
    });
    deps.notifier.wakeUsers([pdu.state_key!]);
  };
}
