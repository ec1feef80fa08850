/**
 * The auth difference of state res v2 (the events in some but not all of the state sets' full
 * auth chains) and, since v12, the conflicted state subgraph (every event on an auth path from
 * one conflicted event to another).
 */
import type { EventIndex } from "./event-index.ts";
import type { StateMap } from "./state-sets.ts";

/**
 * A set's full auth chain includes, as in Synapse, the set's own events (so an event one set holds
 * and another reaches through auth events is no difference). Everything below the events all sets
 * share is in every chain; that common part is walked once, and each set walks only what lies
 * outside it.
 */
export function authDifference(index: EventIndex, maps: readonly StateMap[]): number[] {
  const shared = sharedEvents(maps);
  // Walking the common part indexes every event it reaches; what the sets add is indexed as found.
  const common = walkDown(index, shared, () => false);
  const inCommon = new Uint8Array(index.size);
  for (const event of common) inCommon[event] = 1;
  const isCommon = (event: number) => event < inCommon.length && inCommon[event] === 1;

  const reachedBy = new Map<number, number>();
  for (const map of maps) {
    const own = [...map.values()].filter((event) => !isCommon(event));
    for (const event of walkDown(index, own, isCommon)) reachedBy.set(event, (reachedBy.get(event) ?? 0) + 1);
  }
  const difference: number[] = [];
  for (const [event, count] of reachedBy) if (count < maps.length) difference.push(event);
  return difference;
}

/** The events every state map holds. */
function sharedEvents(maps: readonly StateMap[]): number[] {
  const [first, ...rest] = maps;
  if (!first) return [];
  const shared: number[] = [];
  for (const [key, event] of first) if (rest.every((map) => map.get(key) === event)) shared.push(event);
  return shared;
}

/** `starts` and everything below them through auth events, not entering where `stop` holds. */
function walkDown(index: EventIndex, starts: readonly number[], stop: (event: number) => boolean): number[] {
  const seen = new Set<number>();
  const stack = [...starts];
  while (stack.length > 0) {
    const event = stack.pop()!;
    if (seen.has(event)) continue;
    seen.add(event);
    for (const authEvent of index.authOf(event)) if (!seen.has(authEvent) && !stop(authEvent)) stack.push(authEvent);
  }
  return [...seen];
}

const UNVISITED = 0;
const IN_PROGRESS = 1;
const REACHES_NONE = 2;
const REACHES_ONE = 3;

/**
 * since v12: the events X with a conflicted event C1 ->+ X ->* C2 along auth edges. Found as the
 * events strictly below some conflicted event that can still reach a conflicted event.
 */
export function conflictedStateSubgraph(index: EventIndex, conflictedEvents: readonly number[]): number[] {
  const isConflicted: boolean[] = [];
  for (const event of conflictedEvents) isConflicted[event] = true;

  // Strict descendants (through auth events) of the conflicted events.
  const below: boolean[] = [];
  const belowList: number[] = [];
  const stack: number[] = [];
  for (const event of conflictedEvents) for (const authEvent of index.authOf(event)) stack.push(authEvent);
  while (stack.length > 0) {
    const event = stack.pop()!;
    if (below[event]) continue;
    below[event] = true;
    belowList.push(event);
    for (const authEvent of index.authOf(event)) if (!below[authEvent]) stack.push(authEvent);
  }

  // Whether each of them reaches a conflicted event: an iterative post-order walk, memoised.
  // An auth cycle (impossible with hashed ids, conceivable in v1-v2) is cut where it closes.
  const status = new Uint8Array(index.size); // 0 unvisited, 1 in progress, 2 reaches none, 3 reaches one
  const subgraph: number[] = [];
  const path: number[] = [];
  for (const start of belowList) {
    if (status[start] !== UNVISITED) continue;
    path.push(start);
    while (path.length > 0) {
      const event = path[path.length - 1]!;
      if (status[event]! >= REACHES_NONE) {
        path.pop();
        continue;
      }
      status[event] = IN_PROGRESS;
      let pending = false;
      let reached = isConflicted[event] === true;
      for (const authEvent of index.authOf(event)) {
        const known = status[authEvent];
        if (known === UNVISITED) {
          path.push(authEvent);
          pending = true;
        } else if (known === REACHES_ONE) reached = true;
      }
      if (pending) continue;
      status[event] = reached ? REACHES_ONE : REACHES_NONE;
      if (reached) subgraph.push(event);
      path.pop();
    }
  }
  return subgraph;
}
