/**
 * Where transactions to appservices are delivered. main.ts passes the appservice sender worker's
 * side (`workers/appservice-sender/sender.ts`); the queue rows are written in the caller's
 * transaction, so nothing is lost, and the worker sends them after the commit.
 */
import type { Registration } from "../../core";

export interface AppserviceDelivery {
  /** Items for these appservices were queued in the current transaction: send them once it commits. */
  wakeLater(appserviceIds: Iterable<string>): void;
  /** Every appservice there is now (at start, and after each registration or unregistration). */
  registrationsChanged(registrations: readonly Registration[]): void;
}
