/**
 * Wires the admin area: the guard (who is an admin; every action logged) and the admin API's
 * services over the other areas.
 */
import type { Accounts } from "../accounts";
import type { Membership } from "../membership";
import type { MediaServices } from "../media";
import type { Rooms } from "../rooms";
import type { SharedDeps } from "../shared-deps";
import { createAdminCommands } from "./admin-commands";
import { createAdminRoom, serverUserIdOf } from "./admin-room";
import { createAdminEventReports } from "./event-reports";
import { createAdminMedia } from "./media";
import { createHistoryPurge } from "./history-purge";
import { createServerNotices } from "./server-notices";
import { createAdminGuard } from "./guard";
import { createRegistrationTokens } from "./registration-tokens";
import { createRoomDeletion } from "./room-deletion";
import { createAdminRooms } from "./rooms";
import { createAdminUsers } from "./users";

export type AdminDeps = Pick<SharedDeps, "config" | "storage" | "clock" | "log" | "appserviceRegistry"> & { accounts: Accounts; rooms: Rooms; membership: Membership; media: MediaServices };

export function buildAdmin(deps: AdminDeps) {
  const { config, storage, clock, log, accounts, rooms, membership, media } = deps;
  const serverName = config.server_name;
  const eventJson = (eventId: string) => {
    const row = storage.events.get(eventId);
    return row ? rooms.clientEvents.format(row) : null;
  };
  const guard = createAdminGuard(storage, log);
  const adminRooms = createAdminRooms({ storage, clock, serverName, rooms, membership });
  const deletion = createRoomDeletion({ storage, clock, log, serverName, rooms, membership });
  const commands = createAdminCommands({
    storage,
    clock,
    serverName,
    serverUserId: serverUserIdOf(serverName),
    users: accounts.users,
    rooms: adminRooms,
    deletion,
    appservices: deps.appserviceRegistry,
  });
  const room = createAdminRoom({ storage, clock, log, serverName, rooms, membership, guard, commands });
  const users = createAdminUsers({
    storage,
    clock,
    serverName,
    users: accounts.users,
    profile: accounts.profile,
    deviceChanges: accounts.deviceChanges,
    onPromoted: room.invite,
  });
  return {
    guard,
    users,
    rooms: adminRooms,
    deletion,
    /** The admin room; main.ts calls `room.ensure()` at start. */
    room,
    eventReports: createAdminEventReports(storage, rooms.summaries, eventJson),
    registrationTokens: createRegistrationTokens(storage, clock),
    notices: createServerNotices({ storage, serverName, serverUserId: room.serverUserId, rooms, membership, accountData: accounts.accountData }),
    historyPurge: createHistoryPurge({ storage, clock, log, serverName, rooms }),
    media: createAdminMedia({ storage, serverName, files: media.files, retention: media.retention }),
  };
}
export type Admin = ReturnType<typeof buildAdmin>;
