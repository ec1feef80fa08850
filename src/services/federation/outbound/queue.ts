/**
 * Where events and EDUs for other servers wait for delivery. main.ts passes the sender worker's
 * queue (`workers/federation-sender/sender.ts`); the rows are written in the caller's transaction,
 * so nothing accepted is lost, and the worker sends them after the commit.
 */
import type { Edu, JsonObject } from "../../../core";

export interface OutboundQueue {
  queuePdu(destinations: Iterable<string>, pdu: JsonObject): void;
  queueEdu(destinations: Iterable<string>, edu: Edu): void;
  /** `origin` sent us an authenticated request: it is reachable again, retry it now. */
  contact(origin: string): void;
}
