/**
 * Wires spaces: the space hierarchy for clients and for other servers, and room summaries, over
 * the rooms area's state and summaries and federation's client and directory.
 */
import type { Federation } from "../federation";
import type { Rooms } from "../rooms";
import type { SharedDeps } from "../shared-deps";
import { createHierarchy } from "./hierarchy";
import { createRemoteHierarchy } from "./remote-hierarchy";
import { createRoomSummary } from "./room-summary";
import { createSpaceRooms } from "./space-rooms";

export type SpacesDeps = Pick<SharedDeps, "config" | "storage" | "clock" | "log"> & { rooms: Rooms; federation: Federation };

export function buildSpaces(deps: SpacesDeps) {
  const { config, storage, rooms, federation } = deps;
  const serverName = config.server_name;
  const spaceRooms = createSpaceRooms({ serverName, storage, state: rooms.state, eventStore: rooms.eventStore, summaries: rooms.summaries });
  const remote = createRemoteHierarchy({ serverName, client: federation.client, clock: deps.clock, log: deps.log });
  return {
    hierarchy: createHierarchy({ rooms: spaceRooms, remote, serverAllowed: federation.view.serverAllowed }),
    summary: createRoomSummary({ rooms: spaceRooms, remote, directory: federation.directory }),
  };
}
export type Spaces = ReturnType<typeof buildSpaces>;
