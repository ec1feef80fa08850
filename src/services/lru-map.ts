/**
 * A map bounded in entries (and optionally in total weight, e.g. bytes) that evicts its least
 * recently used entries first: the in-memory caches of the rooms area use it so that a server's
 * memory follows its recent activity, not the number of rooms and events it has ever seen.
 */

export interface LruOptions<K, V> {
  maxEntries: number;
  /** With `weigh`: the total weight kept (the newest entry is kept even when heavier alone). */
  maxWeight?: number;
  weigh?: (value: V) => number;
  /** Told about each entry pushed out by the bounds (not about `delete` or `clear`). */
  onEvict?: (key: K, value: V) => void;
}

export interface LruMap<K, V> {
  /** The value, now marked most recently used. */
  get(key: K): V | undefined;
  /** The value, leaving the order alone. */
  peek(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): boolean;
  clear(): void;
  readonly size: number;
}

export function createLruMap<K, V>(opts: LruOptions<K, V>): LruMap<K, V> {
  if (!(opts.maxEntries >= 1)) throw new Error("an LRU map needs room for at least one entry");
  // A Map iterates in insertion order: re-inserting on use keeps the coldest entry first.
  const entries = new Map<K, V>();
  const weigh = opts.weigh;
  const maxWeight = opts.maxWeight ?? Infinity;
  let weight = 0;

  const remove = (key: K, value: V) => {
    entries.delete(key);
    if (weigh) weight -= weigh(value);
  };

  return {
    get(key) {
      const value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    peek: (key) => entries.get(key),
    set(key, value) {
      const old = entries.get(key);
      if (old !== undefined) remove(key, old);
      entries.set(key, value);
      if (weigh) weight += weigh(value);
      for (const [k, v] of entries) {
        if (entries.size <= opts.maxEntries && weight <= maxWeight) break;
        if (k === key) break;
        remove(k, v);
        opts.onEvict?.(k, v);
      }
    },
    delete(key) {
      const value = entries.get(key);
      if (value === undefined) return false;
      remove(key, value);
      return true;
    },
    clear() {
      entries.clear();
      weight = 0;
    },
    get size() {
      return entries.size;
    },
  };
}
