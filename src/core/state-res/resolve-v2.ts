/**
 * State resolution v2 (room versions 2-11) and v2.1 (since v12: iterative auth checks start from
 * an empty state, and the conflicted state subgraph joins the full conflicted set).
 */
import type { RoomVersionRules } from "../room-versions.ts";
import { stateKeyOf } from "../types.ts";
import { authDifference, conflictedStateSubgraph } from "./auth-difference.ts";
import type { EventIndex } from "./event-index.ts";
import { iterativeAuthChecks } from "./iterative-auth-checks.ts";
import { mainlineSort } from "./mainline.ts";
import { isPowerEvent, sortPowerEvents } from "./power-ordering.ts";
import type { StateMap } from "./state-sets.ts";
import { splitStateMaps } from "./state-sets.ts";

const POWER_LEVELS_KEY = stateKeyOf("m.room.power_levels", "");

export function resolveV2(index: EventIndex, maps: readonly StateMap[], rules: RoomVersionRules): StateMap {
  const { unconflicted, conflicted } = splitStateMaps(index, maps, true);
  if (conflicted.size === 0) return unconflicted;

  const conflictedEvents = [...conflicted.values()].flat();
  const inFullSet: boolean[] = [];
  const fullSet: number[] = [];
  const addToFullSet = (event: number) => {
    if (inFullSet[event]) return;
    inFullSet[event] = true;
    fullSet.push(event);
  };
  conflictedEvents.forEach(addToFullSet);
  authDifference(index, maps, unconflicted.values()).forEach(addToFullSet);
  // since v12: the events on auth paths between conflicted events are re-checked too.
  if (rules.conflictedStateSubgraph) conflictedStateSubgraph(index, conflictedEvents).forEach(addToFullSet);

  // 1. Power events and their conflicted auth ancestry, in reverse topological power ordering.
  const powerEvents = fullSet.filter((event) => isPowerEvent(index.events[event]!));
  const sortedPowerEvents = sortPowerEvents(index, inFullSet, powerEvents, rules);

  // 2. Iterative auth checks from the unconflicted state (v2) or from nothing (since v12).
  const initial: StateMap = rules.authChecksFromEmptyState ? new Map() : new Map(unconflicted);
  const partial = iterativeAuthChecks(index, sortedPowerEvents, initial, rules);

  // 3-4. The other events, by mainline of the resolved power levels, then checked in turn.
  const sortedAsPower = new Set(sortedPowerEvents);
  const others = fullSet.filter((event) => !sortedAsPower.has(event));
  const powerLevelsKey = index.keyNumber(POWER_LEVELS_KEY);
  const sortedOthers = mainlineSort(index, others, powerLevelsKey === undefined ? undefined : partial.get(powerLevelsKey));
  const resolved = iterativeAuthChecks(index, sortedOthers, partial, rules);

  // 5. The unconflicted state always stands.
  for (const [key, event] of unconflicted) resolved.set(key, event);
  return resolved;
}
