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

interface Node<K, V> {
  key: K;
  value: V;
  weight: number;
  /** Toward the least recently used end. */
  older: Node<K, V> | null;
  newer: Node<K, V> | null;
}

export function createLruMap<K, V>(opts: LruOptions<K, V>): LruMap<K, V> {
  if (!(opts.maxEntries >= 1)) throw new Error("an LRU map needs room for at least one entry");
  // A doubly linked list in recency order beside the index: marking an entry used relinks two
  // nodes. (Deleting and re-inserting a Map key instead costs a rehash of the whole Map every so
  // often, tens of microseconds per hit on a large map.)
  const nodes = new Map<K, Node<K, V>>();
  let oldest: Node<K, V> | null = null;
  let newest: Node<K, V> | null = null;
  const maxWeight = opts.maxWeight ?? Infinity;
  let weight = 0;

  const unlink = (node: Node<K, V>) => {
    if (node.older) node.older.newer = node.newer;
    else oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else newest = node.older;
    node.older = node.newer = null;
  };

  const pushNewest = (node: Node<K, V>) => {
    node.older = newest;
    if (newest) newest.newer = node;
    else oldest = node;
    newest = node;
  };

  const remove = (node: Node<K, V>) => {
    unlink(node);
    nodes.delete(node.key);
    weight -= node.weight;
  };

  return {
    get(key) {
      const node = nodes.get(key);
      if (!node) return undefined;
      if (node !== newest) {
        unlink(node);
        pushNewest(node);
      }
      return node.value;
    },
    peek: (key) => nodes.get(key)?.value,
    set(key, value) {
      const old = nodes.get(key);
      if (old) remove(old);
      const node: Node<K, V> = { key, value, weight: opts.weigh?.(value) ?? 0, older: null, newer: null };
      nodes.set(key, node);
      pushNewest(node);
      weight += node.weight;
      while ((nodes.size > opts.maxEntries || weight > maxWeight) && oldest !== node) {
        const evicted = oldest!;
        remove(evicted);
        opts.onEvict?.(evicted.key, evicted.value);
      }
    },
    delete(key) {
      const node = nodes.get(key);
      if (!node) return false;
      remove(node);
      return true;
    },
    clear() {
      nodes.clear();
      oldest = newest = null;
      weight = 0;
    },
    get size() {
      return nodes.size;
    },
  };
}
