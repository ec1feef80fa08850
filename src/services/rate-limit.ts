/**
 * Rate limits as token buckets, one per action and key (a client address, an address and user,
 * or a user): a bucket holds up to `burst` tokens and refills at `per_second`. Actions and their
 * rules come from `[global.rate_limits]`; `enabled = false` turns every limit off. Over the limit
 * a request fails with 429 `M_LIMIT_EXCEEDED`, telling the client when a token will be back.
 *
 * Callers: the `rateLimit` route option (per client address), login (failed attempts per address
 * and user, and per user), registration (per address), and per user: message sending
 * (`take("message", userId)`), reports of content, room creation, joins and invites.
 */
import type { Config, RateLimitRule } from "../config";
import type { Clock } from "../runtime/clock";
import { limitExceeded } from "./matrix-error";

export type RateLimitAction =
  | "login" | "failed_login" | "failed_login_account" | "register" | "message" | "report" | "room_creation" | "join" | "invite";

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Buckets are dropped once full again; sweeping after this many new ones keeps memory bounded. */
const SWEEP_EVERY = 1000;

export function createRateLimiter(config: Config["rate_limits"], clock: Clock) {
  const buckets = new Map<string, Bucket>();
  let createdSinceSweep = 0;

  function refilled(action: RateLimitAction, key: string, now: number): { bucket: Bucket; rule: RateLimitRule } {
    const rule = config[action];
    const id = `${action}\u0000${key}`;
    let bucket = buckets.get(id);
    if (!bucket) {
      if (++createdSinceSweep >= SWEEP_EVERY) sweep(now);
      bucket = { tokens: rule.burst, updatedMs: now };
      buckets.set(id, bucket);
    } else {
      bucket.tokens = Math.min(rule.burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * rule.per_second);
      bucket.updatedMs = now;
    }
    return { bucket, rule };
  }

  function sweep(now: number): void {
    createdSinceSweep = 0;
    for (const [id, bucket] of buckets) {
      const rule = config[id.slice(0, id.indexOf("\u0000")) as RateLimitAction];
      if (bucket.tokens + ((now - bucket.updatedMs) / 1000) * rule.per_second >= rule.burst) buckets.delete(id);
    }
  }

  function retryAfterMs(bucket: Bucket, rule: RateLimitRule): number {
    // The epsilon keeps float noise (0.998 tokens -> 1.0000000000000009 ms) from adding a millisecond.
    return Math.ceil(((1 - bucket.tokens) / rule.per_second) * 1000 - 1e-6);
  }

  return {
    /** Uses one token, or throws 429 when none is left. */
    take(action: RateLimitAction, key: string): void {
      if (!config.enabled) return;
      const { bucket, rule } = refilled(action, key, clock.now());
      if (bucket.tokens < 1) throw limitExceeded(retryAfterMs(bucket, rule));
      bucket.tokens -= 1;
    },

    /** Throws 429 when no token is left, without using one (for limits counted on failure only). */
    check(action: RateLimitAction, key: string): void {
      if (!config.enabled) return;
      const { bucket, rule } = refilled(action, key, clock.now());
      if (bucket.tokens < 1) throw limitExceeded(retryAfterMs(bucket, rule));
    },

    /** Uses one token if any is left; the next `check` or `take` fails once they are gone. */
    record(action: RateLimitAction, key: string): void {
      if (!config.enabled) return;
      const { bucket } = refilled(action, key, clock.now());
      bucket.tokens = Math.max(0, bucket.tokens - 1);
    },
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;
