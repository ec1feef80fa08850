/**
 * The auth difference of state res v2 (the events in some but not all of the state sets' full
 * auth chains) and, since v12, the conflicted state subgraph (every event on an auth path from
 * one conflicted event to another).
 */
import type { EventIndex } from "./event-index.ts";
import type { StateMap } from "./state-sets.ts";

/**
 * Each set's full auth chain is walked once; an event's tally counts the sets reaching it. As in
 * Synapse, a set's own events count as part of its chain, so an event that one set holds and
 * another reaches through auth events is not a difference.
 */
export function authDifference(index: EventIndex, maps: readonly StateMap[]): number[] {
  const reachedBy: number[] = [];
  const visitedIn: number[] = [];
  const stack: number[] = [];
  maps.forEach((map, setNumber) => {
    for (const event of map.values()) stack.push(event);
    while (stack.length > 0) {
      const event = stack.pop()!;
      if (visitedIn[event] === setNumber) continue;
      visitedIn[event] = setNumber;
      reachedBy[event] = (reachedBy[event] ?? 0) + 1;
      for (const authEvent of index.authOf(event)) if (visitedIn[authEvent] !== setNumber) stack.push(authEvent);
    }
  });
  const difference: number[] = [];
  for (let event = 0; event < reachedBy.length; event++) {
    const count = reachedBy[event];
    if (count !== undefined && count < maps.length) difference.push(event);
  }
  return difference;
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
