/**
 * Local events leave for every other server in the room: the servers of the members joined once
 * the event is stored, plus, for a membership event, the target's server (a kicked or banned
 * user's server must learn it too) unless it is an invite, which that server got through
 * `/invite` and may hold no room for. Queued in the transaction that stores the event. The servers
 * come from the head's per-server counts, so a send costs nothing per member; a room of local
 * members only queues nothing and builds no wire form.
 */
import { wireForm, type Pdu } from "../../../core";
import type { RoomHead } from "../../rooms/heads";
import type { OutboundQueue } from "./queue";
import { serverOf } from "../room-view";

/** The server of a membership event's target that must hear of it although none of its users is joined. */
function targetServer(pdu: Pdu): string | undefined {
  if (pdu.type !== "m.room.member" || typeof pdu.state_key !== "string" || pdu.content.membership === "invite") return undefined;
  return serverOf(pdu.state_key);
}

export function destinationsOf(head: RoomHead, pdu: Pdu): Set<string> {
  const servers = new Set(head.joinedServers.keys());
  const target = targetServer(pdu);
  if (target !== undefined) servers.add(target);
  return servers;
}

/** Whether the event goes to any server but `ownServer`. */
function leavesServer(head: RoomHead, pdu: Pdu, ownServer: string): boolean {
  const servers = head.joinedServers;
  if (servers.size > 1 || (servers.size === 1 && !servers.has(ownServer))) return true;
  const target = targetServer(pdu);
  return target !== undefined && target !== ownServer;
}

export function createOutboundEvents(sender: OutboundQueue, ownServer: string) {
  return (head: RoomHead, pdu: Pdu): void => {
    if (leavesServer(head, pdu, ownServer)) sender.queuePdu(destinationsOf(head, pdu), wireForm(pdu, head.rules));
  };
}
