/**
 * Wires the EDU area: typing notifications, receipts and read markers, presence. Each tells
 * listeners of its changes (federation relays our users' ones) and wakes the `/sync`s concerned.
 */
import type { AccountDataService } from "../accounts/account-data";
import type { MembershipView } from "../rooms/membership-view";
import { createPresenceService } from "./presence";
import { createReceiptsService } from "./receipts";
import type { SharedDeps } from "../shared-deps";
import { createTypingService } from "./typing";

export interface EdusDeps extends Pick<SharedDeps, "storage" | "clock" | "notifier"> {
  members: MembershipView;
  accountData: AccountDataService;
}

export function buildEdus(deps: EdusDeps) {
  const { storage, clock, notifier, members, accountData } = deps;
  return {
    typing: createTypingService({ members, notifier, clock }),
    receipts: createReceiptsService({ storage, members, notifier, clock, accountData }),
    presence: createPresenceService({ storage, members, notifier, clock }),
  };
}
export type Edus = ReturnType<typeof buildEdus>;
