/** Finding the m.room.create event an event belongs to, per room version. */
import type { RoomVersionRules } from "../room-versions.ts";
import type { EventIndex } from "./event-index.ts";

/**
 * Since v12 the create event is not cited but named by the room id (`!x` is the room of `$x`);
 * before, it is among the event's auth events. -1 when it cannot be found (and for the create
 * event itself, which state resolution's ordering treats as powerless, as Synapse and ruma do).
 */
export function roomCreateEventOf(index: EventIndex, event: number, rules: RoomVersionRules): number {
  const pdu = index.events[event]!;
  if (rules.roomIdIsCreateEventHash) {
    return typeof pdu.room_id === "string" && pdu.room_id.startsWith("!") ? index.createEventOfRoom(pdu.room_id) : -1;
  }
  return index.authEventOfType(event, "m.room.create");
}
