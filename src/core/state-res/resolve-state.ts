/**
 * The entry point of state resolution: the state sets to resolve (lists of state event ids) and
 * a way to fetch events in, the resolved state's event ids out. The algorithm follows the room
 * version (v1 for room 1, v2 for rooms 2-11, v2.1 since room 12). It is synchronous; the async
 * form keeps the signature of the worker pool, which runs the same code off the main thread.
 */
import { rulesFor } from "../room-versions.ts";
import type { FetchEvent } from "./event-index.ts";
import { EventIndex } from "./event-index.ts";
import { resolveV1 } from "./resolve-v1.ts";
import { resolveV2 } from "./resolve-v2.ts";
import { loadStateMaps } from "./state-sets.ts";

export type { FetchEvent } from "./event-index.ts";

/** Resolution off the main thread (the worker pool) has the async form's signature. */
export interface StateResolver {
  resolveState(roomVersion: string, stateSets: readonly (readonly string[])[], fetchEvent: FetchEvent): Promise<string[]>;
}

export function resolveStateSync(
  roomVersion: string,
  stateSets: readonly (readonly string[])[],
  fetchEvent: FetchEvent,
): string[] {
  const rules = rulesFor(roomVersion);
  if (stateSets.length === 0) return [];
  const index = new EventIndex(fetchEvent);
  const maps = loadStateMaps(index, stateSets);
  const resolved = rules.stateResV2 ? resolveV2(index, maps, rules) : resolveV1(index, maps, rules);
  return [...resolved.values()].map((event) => index.eventIds[event]!);
}

export async function resolveState(
  roomVersion: string,
  stateSets: readonly (readonly string[])[],
  fetchEvent: FetchEvent,
): Promise<string[]> {
  return resolveStateSync(roomVersion, stateSets, fetchEvent);
}
