/**
 * Time as the server sees it, and timers on that time: typing expiry, presence idling, long-poll
 * deadlines and federation backoff are all scheduled here, so tests can pass a fake clock and
 * move time by hand instead of sleeping.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` once `ms` have passed (0 when negative); the returned function cancels it. */
  schedule(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

/** A clock that moves only when told. */
export interface FakeClock extends Clock {
  /** Moves time forward, running every timer due by then in order of due time. */
  advance(ms: number): void;
  /** How many timers are waiting. */
  pending(): number;
}

export function createFakeClock(start = 1_700_000_000_000): FakeClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { due: number; fn: () => void }>();

  function nextDue(until: number): [number, { due: number; fn: () => void }] | undefined {
    let best: [number, { due: number; fn: () => void }] | undefined;
    for (const entry of timers) {
      if (entry[1].due > until) continue;
      // Earliest first; among equal due times, the one scheduled first.
      if (!best || entry[1].due < best[1].due) best = entry;
    }
    return best;
  }

  return {
    now: () => now,
    schedule(ms, fn) {
      const id = ++seq;
      timers.set(id, { due: now + Math.max(0, ms), fn });
      return () => void timers.delete(id);
    },
    advance(ms) {
      const until = now + ms;
      for (let next = nextDue(until); next; next = nextDue(until)) {
        timers.delete(next[0]);
        now = Math.max(now, next[1].due);
        next[1].fn();
      }
      now = until;
    },
    pending: () => timers.size,
  };
}
