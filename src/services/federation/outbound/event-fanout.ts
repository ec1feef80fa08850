/**
 * Local events leave for every other server in the room: the servers of the members joined once
 * the event is stored, plus, for a membership event, the target's server (a kicked or banned
 * user's server must learn it too). Queued in the transaction that stores the event.
 */
import { wireForm, type Pdu } from "../../../core";
import type { RoomHead } from "../../rooms/heads";
import type { OutboundQueue } from "./queue";
import { serverOf } from "../room-view";

export function destinationsOf(head: RoomHead, pdu: Pdu): Set<string> {
  const servers = new Set<string>();
  for (const userId of head.joined) servers.add(serverOf(userId));
  if (pdu.type === "m.room.member" && typeof pdu.state_key === "string") servers.add(serverOf(pdu.state_key));
  return servers;
}

export function createOutboundEvents(sender: OutboundQueue) {
  return (head: RoomHead, pdu: Pdu): void => sender.queuePdu(destinationsOf(head, pdu), wireForm(pdu, head.rules));
}
