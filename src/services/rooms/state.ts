/**
 * Room state as maps from `(type, state_key)` to event id, backed by immutable state groups. A
 * group is stored as a delta over its parent, with a full snapshot once the chain grows long;
 * recently used groups are kept in memory (they never change), so the state of a room's newest
 * events, and of the events just paginated over, costs no query at all.
 */
import { stateKeyOf, type StateKey } from "../../core/types";
import type { Storage } from "../../storage";
import type { StateEntry } from "../../storage/state";
import { createLruMap } from "../../runtime/lru-map";

export type StateMap = ReadonlyMap<StateKey, string>;

/** Past this many deltas a new group is written as a full snapshot. */
const MAX_CHAIN_LENGTH = 48;
/** Memory per cached state entry: its map slot, key and event id (the strings are mostly shared). */
const ENTRY_BYTES = 150;
/** Upper bound on the groups cached, however small. */
const MAX_CACHED_GROUPS = 20_000;

export function splitStateKey(key: StateKey): [type: string, stateKey: string] {
  const i = key.indexOf("\u0000");
  return [key.slice(0, i), key.slice(i + 1)];
}

/** State map entries as rows (a null event id removes the key). */
export function toEntries(map: ReadonlyMap<StateKey, string | null>): StateEntry[] {
  return [...map].map(([k, v]) => {
    const [type, state_key] = splitStateKey(k);
    return { type, state_key, event_id: v };
  });
}

/** What changed from `from` to `to`: new or replaced entries, and removed keys mapped to null. */
export function diffState(from: StateMap, to: StateMap): Map<StateKey, string | null> {
  const delta = new Map<StateKey, string | null>();
  for (const [k, v] of to) if (from.get(k) !== v) delta.set(k, v);
  for (const k of from.keys()) if (!to.has(k)) delta.set(k, null);
  return delta;
}

/** `maxBytes`: the memory the cached state maps may take (`state_cache_capacity_mb`). */
export function createStateService(storage: Storage, maxBytes: number) {
  // The budget counts entries across groups: a big room's state weighs more than a small one's.
  const cache = createLruMap<number, StateMap>({ maxEntries: MAX_CACHED_GROUPS, maxWeight: maxBytes, weigh: (m) => m.size * ENTRY_BYTES });

  const apply = (into: Map<StateKey, string>, entries: readonly StateEntry[]) => {
    for (const e of entries) {
      const key = stateKeyOf(e.type, e.state_key);
      if (e.event_id === null) into.delete(key);
      else into.set(key, e.event_id);
    }
  };

  function stateOfGroup(group: number): StateMap {
    const hit = cache.get(group);
    if (hit) return hit;
    const chain = storage.state.groupChain(group);
    // Start from the newest ancestor already in memory, else from the chain's snapshot.
    let start = 0;
    let map = new Map<StateKey, string>();
    for (let i = chain.length - 1; i >= 0; i--) {
      const known = cache.peek(chain[i]!);
      if (known) {
        map = new Map(known);
        start = i + 1;
        break;
      }
    }
    for (let i = start; i < chain.length; i++) apply(map, storage.state.groupEntries(chain[i]!));
    cache.set(group, map);
    return map;
  }

  /**
   * Stores the state `base` + `delta` (a null value removes a key) as a new group and returns its
   * id. Must run inside the caller's transaction.
   */
  function createGroup(roomId: string, baseGroup: number | null, delta: ReadonlyMap<StateKey, string | null>): number {
    const base = baseGroup === null ? new Map<StateKey, string>() : stateOfGroup(baseGroup);
    const next = new Map(base);
    for (const [k, v] of delta) {
      if (v === null) next.delete(k);
      else next.set(k, v);
    }
    const parent = baseGroup === null ? null : storage.state.getGroup(baseGroup);
    const id =
      parent && parent.chain_length < MAX_CHAIN_LENGTH
        ? storage.state.insertGroup(roomId, baseGroup, parent.chain_length + 1, toEntries(delta))
        : storage.state.insertGroup(roomId, null, 0, toEntries(next));
    cache.set(id, next);
    return id;
  }

  return {
    stateOfGroup,

    createGroup,

    /** Stores an arbitrary state map (e.g. the result of state resolution) as a delta over `baseGroup`. */
    groupForState(roomId: string, state: StateMap, baseGroup: number | null): number {
      if (baseGroup !== null) {
        const delta = diffState(stateOfGroup(baseGroup), state);
        if (delta.size === 0) return baseGroup;
        return createGroup(roomId, baseGroup, delta);
      }
      return createGroup(roomId, null, state);
    },

    /** Forgets every cached group: a rolled-back transaction may have created some of them. */
    invalidate(): void {
      cache.clear();
    },
  };
}
export type StateService = ReturnType<typeof createStateService>;
