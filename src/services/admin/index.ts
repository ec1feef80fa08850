/**
 * Wires the admin area: the guard (who is an admin; every action logged) and the admin API's
 * services over the other areas.
 */
import type { Accounts } from "../accounts";
import type { Membership } from "../membership";
import type { Rooms } from "../rooms";
import type { SharedDeps } from "../shared-deps";
import { createAdminEventReports } from "./event-reports";
import { createAdminGuard } from "./guard";
import { createRegistrationTokens } from "./registration-tokens";
import { createAdminRooms } from "./rooms";
import { createAdminUsers } from "./users";

export type AdminDeps = Pick<SharedDeps, "config" | "storage" | "clock" | "log"> & { accounts: Accounts; rooms: Rooms; membership: Membership };

export function buildAdmin(deps: AdminDeps) {
  const { config, storage, clock, log, accounts, rooms, membership } = deps;
  const serverName = config.server_name;
  const eventJson = (eventId: string) => {
    const row = storage.events.get(eventId);
    return row ? rooms.clientEvents.format(row) : null;
  };
  return {
    guard: createAdminGuard(storage, log),
    rooms: createAdminRooms({ storage, clock, serverName, rooms, membership }),
    eventReports: createAdminEventReports(storage, rooms.summaries, eventJson),
    registrationTokens: createRegistrationTokens(storage, clock),
    users: createAdminUsers({
      storage,
      clock,
      serverName,
      users: accounts.users,
      profile: accounts.profile,
      deviceChanges: accounts.deviceChanges,
    }),
  };
}
export type Admin = ReturnType<typeof buildAdmin>;
