/**
 * Turning the state sets to resolve (lists of event ids) into state maps, and splitting them into
 * the unconflicted state map and the conflicted state set.
 */
import type { EventIndex } from "./event-index.ts";

/** State key number (see `EventIndex.keyOf`) to event number; later entries of a set win. */
export type StateMap = Map<number, number>;

export function loadStateMaps(index: EventIndex, stateSets: readonly (readonly string[])[]): StateMap[] {
  return stateSets.map((ids) => {
    const map: StateMap = new Map();
    for (const id of ids) {
      const eventIndex = index.indexOf(id);
      if (eventIndex < 0) throw new Error(`state resolution: unknown state event ${id}`);
      const key = index.keyOf(eventIndex);
      if (key < 0) throw new Error(`state resolution: ${id} is not a state event`);
      map.set(key, eventIndex);
    }
    return map;
  });
}

export interface SplitState {
  unconflicted: StateMap;
  /** The distinct events competing for each conflicted key. */
  conflicted: Map<number, number[]>;
}

/**
 * v2: a key is unconflicted only if every set holds it with the same event. v1 treats a key held
 * by some sets only as unconflicted (`missingKeysConflict: false`). Only conflicted keys cost an
 * allocation: large states are mostly unconflicted.
 */
export function splitStateMaps(index: EventIndex, maps: readonly StateMap[], missingKeysConflict: boolean): SplitState {
  const keyCount = index.keyCount;
  const first = new Int32Array(keyCount).fill(-1);
  const holders = new Uint32Array(keyCount);
  const differs = new Uint8Array(keyCount);
  for (const map of maps) {
    for (const [key, event] of map) {
      const seen = first[key]!;
      if (seen < 0) first[key] = event;
      else if (seen !== event) differs[key] = 1;
      holders[key]!++;
    }
  }
  const unconflicted: StateMap = new Map();
  const conflicted = new Map<number, number[]>();
  for (let key = 0; key < keyCount; key++) {
    const event = first[key]!;
    if (event < 0) continue;
    const heldByAll = !missingKeysConflict || holders[key] === maps.length;
    if (heldByAll && differs[key] === 0) {
      unconflicted.set(key, event);
      continue;
    }
    const events: number[] = [];
    for (const map of maps) {
      const candidate = map.get(key);
      if (candidate !== undefined && !events.includes(candidate)) events.push(candidate);
    }
    conflicted.set(key, events);
  }
  return { unconflicted, conflicted };
}
