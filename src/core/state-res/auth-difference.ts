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
 * share (the unconflicted state) is in every chain; that common part is walked once, and each set
 * walks only what lies outside it.
 */
export function authDifference(index: EventIndex, maps: readonly StateMap[], shared: Iterable<number>): number[] {
  const common = new EventMarks();
  walkDown(index, [...shared], common, () => false);
  const reachedBy = new Map<number, number>();
  for (const map of maps) {
    const own: number[] = [];
    for (const event of map.values()) if (!common.has(event)) own.push(event);
    const reached = new EventMarks();
    for (const event of walkDown(index, own, reached, (authEvent) => common.has(authEvent))) {
      reachedBy.set(event, (reachedBy.get(event) ?? 0) + 1);
    }
  }
  const difference: number[] = [];
  for (const [event, count] of reachedBy) if (count < maps.length) difference.push(event);
  return difference;
}

/** Marks on event numbers, growing as the index does. */
class EventMarks {
  private marks = new Uint8Array(1024);

  has(event: number): boolean {
    return event < this.marks.length && this.marks[event] === 1;
  }

  add(event: number): void {
    if (event >= this.marks.length) {
      const grown = new Uint8Array(Math.max(event + 1, this.marks.length * 2));
      grown.set(this.marks);
      this.marks = grown;
    }
    this.marks[event] = 1;
  }
}

/** Marks `starts` and everything below them through auth events, not entering where `stop` holds; returns what it marked. */
function walkDown(index: EventIndex, starts: readonly number[], marks: EventMarks, stop: (event: number) => boolean): number[] {
  const marked: number[] = [];
  const stack = [...starts];
  while (stack.length > 0) {
    const event = stack.pop()!;
    if (marks.has(event)) continue;
    marks.add(event);
    marked.push(event);
    for (const authEvent of index.authOf(event)) if (!marks.has(authEvent) && !stop(authEvent)) stack.push(authEvent);
  }
  return marked;
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
