/**
 * `rateLimit: "<action>"` on a route takes one token of that action's bucket for the client's
 * address before the handler runs; over the limit the request fails with 429 `M_LIMIT_EXCEEDED`
 * and `Retry-After`. Limits keyed by user (message sending) are taken by the services themselves.
 */
import { Elysia } from "elysia";
import type { RateLimitAction, RateLimiter } from "../../services/rate-limit";
import { clientAddress } from "../http/request-context";

export const rateLimit = (limiter: RateLimiter) =>
  new Elysia({ name: "rate-limit" }).macro({
    rateLimit: (action: RateLimitAction) => ({
      beforeHandle({ request }) {
        limiter.take(action, clientAddress(request));
      },
    }),
  });
