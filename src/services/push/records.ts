/**
 * Reading a `push_events` row for one user: the row keeps the outcome most members share and the
 * members whose outcome differs, so what the event did for a user is decided here, the one place
 * that knows the encoding (the write path in event-notifications.ts produces it).
 */
import { outcomeOf, type JsonObject, type PushAction, type PushOutcome } from "../../core";
import type { PushEventRow } from "../../storage/push-notifications";

export interface UserNotification {
  actions: PushAction[];
  highlight: boolean;
}

/** The notification the row's event gave `userId`, or undefined if it gave none. */
export function notificationFor(row: PushEventRow, userId: string): UserNotification | undefined {
  if (row.sender === userId) return undefined;
  if (row.exceptions !== null) {
    const own = (JSON.parse(row.exceptions) as JsonObject)[userId];
    if (own !== undefined) {
      if (own === null) return undefined;
      const actions = own as PushAction[];
      return { actions, highlight: outcomeOf("override", "", actions).highlight };
    }
  }
  if (row.actions === null) return undefined;
  return { actions: JSON.parse(row.actions) as PushAction[], highlight: row.highlight === 1 };
}

/** Whether two outcomes notify alike (same actions), so one stored row can say both. */
export function sameNotification(a: PushOutcome | undefined, b: PushOutcome | undefined): boolean {
  if (a === b) return true;
  const notifyA = a?.notify === true;
  const notifyB = b?.notify === true;
  if (!notifyA || !notifyB) return notifyA === notifyB;
  return JSON.stringify(a.actions) === JSON.stringify(b.actions);
}
