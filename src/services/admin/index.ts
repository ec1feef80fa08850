/**
 * Wires the admin area: the guard (who is an admin; every action logged) and the admin API's
 * services over the other areas.
 */
import type { Accounts } from "../accounts";
import type { SharedDeps } from "../shared-deps";
import { createAdminGuard } from "./guard";
import { createAdminUsers } from "./users";

export type AdminDeps = Pick<SharedDeps, "config" | "storage" | "clock" | "log"> & { accounts: Accounts };

export function buildAdmin(deps: AdminDeps) {
  const { config, storage, clock, log, accounts } = deps;
  return {
    guard: createAdminGuard(storage, log),
    users: createAdminUsers({
      storage,
      clock,
      serverName: config.server_name,
      users: accounts.users,
      profile: accounts.profile,
      deviceChanges: accounts.deviceChanges,
    }),
  };
}
export type Admin = ReturnType<typeof buildAdmin>;
