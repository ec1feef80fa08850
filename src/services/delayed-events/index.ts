/**
 * Wires delayed events (MSC4140) over the rooms area: scheduling and management for the routes,
 * and the follower of current state that cancels conflicting delayed state events. main.ts
 * starts the timer once the server listens.
 */
import type { Rooms } from "../rooms";
import type { SharedDeps } from "../shared-deps";
import { createDelayedEvents } from "./delayed-events";

export type DelayedEventsAreaDeps = Pick<SharedDeps, "config" | "storage" | "clock" | "log" | "rateLimits"> & { rooms: Rooms };

export function buildDelayedEvents(deps: DelayedEventsAreaDeps) {
  const { config, rooms } = deps;
  const delayed = createDelayedEvents({
    storage: deps.storage,
    clock: deps.clock,
    log: deps.log,
    rooms: rooms.actions,
    maxDelayMs: config.max_delayed_event_delay_ms,
    maxPerUser: config.max_delayed_events_per_user,
    takeMessageToken: (userId) => deps.rateLimits.take("message", userId),
  });
  rooms.onCurrentStateChange((roomId, changed) => delayed.stateChanged(roomId, changed));
  return { delayed };
}
export type DelayedEventsArea = ReturnType<typeof buildDelayedEvents>;
