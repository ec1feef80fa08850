/**
 * Runs one drain at a time per key (a destination, a pusher): a wake during a drain asks for one
 * more pass instead of a second concurrent drain, and a key can be scheduled to drain later (its
 * backoff). What a drain does is the caller's; errors it throws are reported, never lost.
 */
import type { Clock } from "./clock";

export interface KeyedDrain<K> {
  /** Drains `key` now, or once more after the drain in progress. */
  drain(key: K): void;
  /** Drains `key` at `at` (replacing an earlier schedule). */
  schedule(key: K, at: number): void;
  /** After a start: drains each waiting key now, or when its retry is due. */
  resume(waiting: Iterable<{ key: K; retryAt: number }>): void;
  /** Cancels every schedule; drains in progress finish their current step. */
  stop(): void;
}

export function createKeyedDrain<K>(clock: Clock, drainOnce: (key: K) => Promise<void>, onError: (key: K, e: unknown) => void): KeyedDrain<K> {
  const running = new Map<K, { again: boolean }>();
  const timers = new Map<K, () => void>();
  let stopped = false;

  async function drain(key: K): Promise<void> {
    const run = running.get(key);
    if (run) {
      run.again = true;
      return;
    }
    const current = { again: true };
    running.set(key, current);
    try {
      while (current.again && !stopped) {
        current.again = false;
        await drainOnce(key);
      }
    } catch (e) {
      onError(key, e);
    } finally {
      running.delete(key);
    }
  }

  function drainNow(key: K): void {
    timers.get(key)?.();
    timers.delete(key);
    void drain(key);
  }

  function schedule(key: K, at: number): void {
    if (stopped) return;
    timers.get(key)?.();
    const cancel = clock.schedule(at - clock.now(), () => {
      timers.delete(key);
      void drain(key);
    });
    timers.set(key, cancel);
  }

  return {
    drain: drainNow,
    schedule,
    resume(waiting) {
      for (const { key, retryAt } of waiting) {
        if (retryAt > clock.now()) schedule(key, retryAt);
        else drainNow(key);
      }
    },
    stop() {
      stopped = true;
      for (const cancel of timers.values()) cancel();
      timers.clear();
    },
  };
}
