/**
 * Turning the state sets to resolve (lists of event ids) into state maps, and splitting them into
 * the unconflicted state map and the conflicted state set.
 */
import type { StateKey } from "../types.ts";
import type { EventIndex } from "./event-index.ts";

/** `(type, state_key)` to event number; later entries of a set win over earlier ones. */
export type StateMap = Map<StateKey, number>;

export function loadStateMaps(index: EventIndex, stateSets: readonly (readonly string[])[]): StateMap[] {
  return stateSets.map((ids) => {
    const map: StateMap = new Map();
    for (const id of ids) {
      const eventIndex = index.indexOf(id);
      if (eventIndex < 0) throw new Error(`state resolution: unknown state event ${id}`);
      const key = index.stateKeyOf(eventIndex);
      if (key === undefined) throw new Error(`state resolution: ${id} is not a state event`);
      map.set(key, eventIndex);
    }
    return map;
  });
}

export interface SplitState {
  unconflicted: StateMap;
  /** The distinct events competing for each conflicted key. */
  conflicted: Map<StateKey, number[]>;
}

/**
 * v2: a key is unconflicted only if every set holds it with the same event. v1 treats a key held
 * by some sets only as unconflicted (`missingKeysConflict: false`).
 */
export function splitStateMaps(maps: readonly StateMap[], missingKeysConflict: boolean): SplitState {
  const unconflicted: StateMap = new Map();
  const conflicted = new Map<StateKey, number[]>();
  // Per key: the distinct events and how many sets hold the key.
  const seen = new Map<StateKey, { events: number[]; sets: number }>();
  for (const map of maps) {
    for (const [key, event] of map) {
      const entry = seen.get(key);
      if (!entry) seen.set(key, { events: [event], sets: 1 });
      else {
        entry.sets++;
        if (!entry.events.includes(event)) entry.events.push(event);
      }
    }
  }
  for (const [key, { events, sets }] of seen) {
    const heldByAll = !missingKeysConflict || sets === maps.length;
    if (events.length === 1 && heldByAll) unconflicted.set(key, events[0]!);
    else conflicted.set(key, events);
  }
  return { unconflicted, conflicted };
}
