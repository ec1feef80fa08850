/**
 * Wires the search area: the full-text index kept by the persister and `POST /search`, and the
 * user directory, which follows profile, deactivation and room state changes.
 */
import type { Accounts } from "../accounts";
import type { Rooms } from "../rooms";
import type { SharedDeps } from "../shared-deps";
import { indexTimelineEvents } from "./indexer";
import { createRoomEventSearch } from "./room-events";
import { createUserDirectory } from "./user-directory";

export type SearchDeps = Pick<SharedDeps, "config" | "storage"> & { accounts: Pick<Accounts, "events">; rooms: Rooms };

export function buildSearch(deps: SearchDeps) {
  const { config, storage, accounts, rooms } = deps;
  indexTimelineEvents(storage, rooms.persister);
  const userDirectory = createUserDirectory({ storage, eventStore: rooms.eventStore, serverName: config.server_name, searchAllUsers: config.search_all_users });
  accounts.events.subscribe((event) => userDirectory.accountChanged(event));
  rooms.onCurrentStateChange((roomId, changed) => userDirectory.roomStateChanged(roomId, changed));
  return {
    userDirectory,
    roomEvents: createRoomEventSearch({ storage, state: rooms.state, eventStore: rooms.eventStore, visibility: rooms.visibility, clientEvents: rooms.clientEvents, timeline: rooms.timeline }),
  };
}
export type Search = ReturnType<typeof buildSearch>;
