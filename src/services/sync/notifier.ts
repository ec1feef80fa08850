/**
 * Wakes long-polling `/sync` requests for exactly the users an update concerns, with no polling
 * loop. A waiter registers before it re-checks for news, so an update landing between a sync's
 * check and its wait is never missed.
 */
import type { Clock } from "../../runtime/clock";

export interface Notifier {
  /**
   * Resolves when one of `userId`'s streams changes, after `timeoutMs`, or at once if `hasNews()`
   * (checked after registering) is already true. Returns whether it was woken.
   */
  wait(userId: string, timeoutMs: number, hasNews: () => boolean, signal?: AbortSignal): Promise<boolean>;
  /** Wakes every waiting request of these users. */
  wakeUsers(userIds: Iterable<string>): void;
  /** How many requests are waiting (for metrics and tests). */
  waiting(): number;
  /**
   * Shutdown: ends every wait as not woken, and every later wait at once, so long-polls answer
   * now rather than hold a graceful stop for their whole timeout.
   */
  close(): void;
}

export function createNotifier(clock: Clock): Notifier {
  const waiters = new Map<string, Set<(woken: boolean) => void>>();
  let count = 0;
  let closed = false;

  return {
    wait(userId, timeoutMs, hasNews, signal) {
      if (closed) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        let settled = false;
        const set = waiters.get(userId) ?? new Set();
        waiters.set(userId, set);
        const finish = (woken: boolean) => {
          if (settled) return;
          settled = true;
          cancelTimer();
          signal?.removeEventListener("abort", onAbort);
          set.delete(finish);
          if (set.size === 0 && waiters.get(userId) === set) waiters.delete(userId);
          count--;
          resolve(woken);
        };
        const onAbort = () => finish(false);
        count++;
        set.add(finish);
        const cancelTimer = clock.schedule(timeoutMs, () => finish(false));
        signal?.addEventListener("abort", onAbort);
        if (hasNews()) finish(true);
      });
    },
    wakeUsers(userIds) {
      for (const userId of userIds) {
        const set = waiters.get(userId);
        if (!set) continue;
        for (const finish of [...set]) finish(true);
      }
    },
    waiting: () => count,
    close() {
      closed = true;
      for (const set of [...waiters.values()]) for (const finish of [...set]) finish(false);
    },
  };
}
