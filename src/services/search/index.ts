/**
 * Wires the search area: the full-text index kept by the persister, and `POST /search`.
 */
import type { Rooms } from "../rooms";
import type { SharedDeps } from "../shared-deps";
import { indexTimelineEvents } from "./indexer";
import { createRoomEventSearch } from "./room-events";

export type SearchDeps = Pick<SharedDeps, "storage"> & { rooms: Rooms };

export function buildSearch(deps: SearchDeps) {
  const { storage, rooms } = deps;
  indexTimelineEvents(storage, rooms.persister);
  return {
    roomEvents: createRoomEventSearch({ storage, state: rooms.state, eventStore: rooms.eventStore, visibility: rooms.visibility, clientEvents: rooms.clientEvents, timeline: rooms.timeline }),
  };
}
export type Search = ReturnType<typeof buildSearch>;
