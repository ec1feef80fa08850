/**
 * Local events leave for every other server in the room: the servers of the members joined once
 * the event is stored, plus, for a membership event, the target's server (a kicked or banned
 * user's server must learn it too). Queued in the transaction that stores the event.
 */
import type { JsonObject, Pdu, RoomVersionRules } from "../../../core";
import type { RoomHead } from "../../rooms/heads";
import type { OutboundQueue } from "./queue";
import { serverOf } from "../room-view";

/** The PDU as it travels: `event_id` only in rooms 1-2, where it is part of the event. */
export function wireForm(pdu: Pdu, rules: RoomVersionRules): JsonObject {
  const { event_id, unsigned: _unsigned, ...wire } = pdu;
  return (rules.eventFormat === "v1" ? { ...wire, event_id } : wire) as JsonObject;
}

export function destinationsOf(head: RoomHead, pdu: Pdu): Set<string> {
  const servers = new Set<string>();
  for (const userId of head.joined) servers.add(serverOf(userId));
  if (pdu.type === "m.room.member" && typeof pdu.state_key === "string") servers.add(serverOf(pdu.state_key));
  return servers;
}

export function createOutboundEvents(sender: OutboundQueue) {
  return (head: RoomHead, pdu: Pdu): void => sender.queuePdu(destinationsOf(head, pdu), wireForm(pdu, head.rules));
}
