// Token buckets with a controllable clock: burst, refill rate, separate keys and actions, the
// check/record pair used for failure-only limits, and the off switch.
import { expect, test } from "bun:test";
import type { Config } from "../../src/config";
import { createFakeClock } from "../../src/runtime/clock";
import { MatrixError } from "../../src/services/matrix-error";
import { createRateLimiter } from "../../src/services/rate-limit";

function setup(enabled = true) {
  const clock = createFakeClock(1_000_000);
  const config: Config["rate_limits"] = {
    enabled,
    login: { per_second: 0.5, burst: 2 },
    failed_login: { per_second: 0.1, burst: 1 },
    register: { per_second: 1, burst: 1 },
    message: { per_second: 2, burst: 3 },
    report: { per_second: 1, burst: 1 },
    failed_login_account: { per_second: 1, burst: 1 },
    room_creation: { per_second: 1, burst: 1 },
    join: { per_second: 1, burst: 1 },
    invite: { per_second: 1, burst: 1 },
  };
  return { limiter: createRateLimiter(config, clock), advance: clock.advance };
}

function limitedFor(fn: () => void): number | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (!(e instanceof MatrixError) || e.errcode !== "M_LIMIT_EXCEEDED") throw e;
    expect(e.status).toBe(429);
    expect(e.headers["Retry-After"]).toBe(String(Math.ceil((e.extra.retry_after_ms as number) / 1000)));
    return e.extra.retry_after_ms as number;
  }
}

test("a burst is allowed, then the refill rate decides, and the 429 says how long to wait", () => {
  const { limiter, advance } = setup();
  const take = () => limiter.take("message", "@a:x");
  for (let i = 0; i < 3; i++) expect(limitedFor(take)).toBeUndefined();
  // 2 per second: the next token is 500 ms away.
  expect(limitedFor(take)).toBe(500);
  advance(499);
  expect(limitedFor(take)).toBe(1);
  advance(1);
  expect(limitedFor(take)).toBeUndefined();
  expect(limitedFor(take)).toBe(500);
});

test("refill never exceeds the burst", () => {
  const { limiter, advance } = setup();
  const take = () => limiter.take("login", "1.2.3.4");
  limitedFor(take);
  advance(3_600_000);
  expect(limitedFor(take)).toBeUndefined();
  expect(limitedFor(take)).toBeUndefined();
  expect(limitedFor(take)).toBe(2000);
});

test("keys and actions have separate buckets", () => {
  const { limiter } = setup();
  limiter.take("register", "1.1.1.1");
  expect(limitedFor(() => limiter.take("register", "1.1.1.1"))).toBeDefined();
  expect(limitedFor(() => limiter.take("register", "2.2.2.2"))).toBeUndefined();
  expect(limitedFor(() => limiter.take("login", "1.1.1.1"))).toBeUndefined();
});

test("check uses nothing; record uses a token without throwing", () => {
  const { limiter } = setup();
  for (let i = 0; i < 5; i++) limiter.check("failed_login", "k");
  limiter.record("failed_login", "k");
  limiter.record("failed_login", "k");
  expect(limitedFor(() => limiter.check("failed_login", "k"))).toBe(10_000);
});

test("enabled = false lets everything through", () => {
  const { limiter } = setup(false);
  for (let i = 0; i < 100; i++) {
    limiter.take("register", "k");
    limiter.record("failed_login", "k");
    limiter.check("failed_login", "k");
  }
});

test("full buckets are forgotten when many keys come and go, without changing any answer", () => {
  const { limiter, advance } = setup();
  limiter.take("message", "@busy:x");
  limiter.take("message", "@busy:x");
  limiter.take("message", "@busy:x");
  for (let i = 0; i < 2_500; i++) limiter.take("login", `10.0.${i >> 8}.${i & 255}`);
  advance(100);
  // @busy's bucket was not full, so it survived the sweeps: still 400 ms to wait.
  expect(limitedFor(() => limiter.take("message", "@busy:x"))).toBe(400);
});
