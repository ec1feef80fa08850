/**
 * The delivery loop of the push sender (runs in its worker): per pusher, the oldest queued push
 * first, one at a time, as `POST /_matrix/push/v1/notify` to the pusher's gateway (spec "Push
 * Gateway API"). Network failures and 5xx, 408 and 429 answers are retried after an exponential
 * backoff; other refusals drop that push; pushkeys the gateway lists as `rejected` lose their
 * pusher. The gateway URL is the client's choice, so requests go through the guarded outbound
 * HTTP (denylisted addresses refused, capped answers, no redirects).
 */
import { errorMessage, isJsonObject, type JsonObject } from "../../core";
import { createKeyedDrain } from "../../runtime/keyed-drain";
import type { Clock } from "../../runtime/clock";
import { OutboundError, type HttpRequest, type HttpResponse, type Target } from "../../net/outbound-http";
import type { Logger } from "../../runtime/logger";
import type { PushersRepo, PusherRow } from "../../storage/pushers";
import type { PushQueueRepo, QueuedPush } from "../../storage/push-queue";
import type { PushSenderEvent } from "./protocol";

/** A push that waited longer than this (the gateway was down) no longer alerts anyone usefully. */
export const MAX_PUSH_AGE_MS = 24 * 60 * 60_000;
const NOTIFY_TIMEOUT_MS = 30_000;
const NOTIFY_RESPONSE_MAX_BYTES = 64 * 1024;
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 30 * 60_000;

/** The wait before the next attempt after `failures` failures in a row. */
export function pushRetryDelay(failures: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(failures - 1, 30));
}

/** Fields a gateway gets with `format: event_id_only` (besides `devices`). */
const EVENT_ID_ONLY_FIELDS = ["event_id", "room_id", "counts", "prio"];

export interface PushHttp {
  request(target: Target, req: HttpRequest): Promise<HttpResponse>;
}

export interface PushLoopDeps {
  queue: PushQueueRepo;
  pushers: PushersRepo;
  http: PushHttp;
  clock: Clock;
  log: Logger;
  emit(event: PushSenderEvent): void;
}

/** Where a gateway URL points; only https URLs are ever stored for pushers. */
export function gatewayTarget(url: URL): Target {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const literal = /^[\d.]+$/.test(host) || host.includes(":");
  return { host, port: url.port === "" ? 443 : Number(url.port), hostHeader: url.host, tlsName: literal ? undefined : host };
}

/** The request body for one pusher: its device entry, and only the fields its format allows. */
export function notifyBody(pusher: PusherRow, push: QueuedPush): JsonObject {
  const { url: _url, ...data } = JSON.parse(pusher.data) as JsonObject;
  const full = JSON.parse(push.notification) as JsonObject;
  const notification: JsonObject =
    data.format === "event_id_only" ? Object.fromEntries(Object.entries(full).filter(([k]) => EVENT_ID_ONLY_FIELDS.includes(k))) : full;
  notification.devices = [
    {
      app_id: pusher.app_id,
      pushkey: pusher.pushkey,
      pushkey_ts: Math.floor(pusher.pushkey_ts / 1000),
      data,
      tweaks: JSON.parse(push.tweaks) as JsonObject,
    },
  ];
  return { notification };
}

type Delivery = { outcome: "sent"; rejected: string[] } | { outcome: "refused"; reason: string };

class RetryableError extends Error {}

export function createPushLoop(deps: PushLoopDeps) {
  const { queue, pushers, clock, log } = deps;
  let stopping = false;

  async function deliver(pusher: PusherRow, push: QueuedPush): Promise<Delivery> {
    const url = new URL(String((JSON.parse(pusher.data) as JsonObject).url));
    let res: HttpResponse;
    try {
      res = await deps.http.request(gatewayTarget(url), {
        method: "POST",
        path: `${url.pathname}${url.search}`,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(notifyBody(pusher, push)),
        maxBytes: NOTIFY_RESPONSE_MAX_BYTES,
        timeoutMs: NOTIFY_TIMEOUT_MS,
      });
    } catch (e) {
      // An address this server may not reach will not become reachable by retrying.
      if (e instanceof OutboundError && e.kind === "denied") return { outcome: "refused", reason: e.message };
      throw new RetryableError(errorMessage(e));
    }
    if (res.status >= 500 || res.status === 408 || res.status === 429) throw new RetryableError(`gateway answered ${res.status}`);
    if (res.status < 200 || res.status >= 300) return { outcome: "refused", reason: `gateway answered ${res.status}` };
    let answer: unknown;
    try {
      answer = JSON.parse(new TextDecoder().decode(res.body));
    } catch {
      answer = {};
    }
    const rejected = isJsonObject(answer) && Array.isArray(answer.rejected) ? answer.rejected.filter((k): k is string => typeof k === "string") : [];
    return { outcome: "sent", rejected };
  }

  const eventIdOf = (push: QueuedPush) => {
    const id = (JSON.parse(push.notification) as JsonObject).event_id;
    return typeof id === "string" ? id : undefined;
  };

  /** Sends the pusher's queue in order, unless its gateway is backing off. */
  async function sendQueued(pusherId: number): Promise<void> {
    while (!stopping) {
      const pusher = pushers.get(pusherId);
      if (!pusher) return;
      if (pusher.retry_at_ts > clock.now()) {
        drains.schedule(pusherId, pusher.retry_at_ts);
        return;
      }
      const push = queue.head(pusherId);
      if (!push) return;
      if (push.created_ts < clock.now() - MAX_PUSH_AGE_MS) {
        queue.remove(push.id);
        deps.emit({ type: "dropped", pusherId, eventId: eventIdOf(push), reason: "queued for over a day" });
        continue;
      }
      let delivery: Delivery;
      try {
        delivery = await deliver(pusher, push);
      } catch (e) {
        if (stopping) return; // the push stays queued for the next start
        const failures = pusher.failures + 1;
        const delay = pushRetryDelay(failures);
        pushers.recordFailure(pusherId, failures, clock.now() + delay);
        drains.schedule(pusherId, clock.now() + delay);
        deps.emit({ type: "failed", pusherId, failures, retryInMs: delay, error: errorMessage(e) });
        return;
      }
      queue.remove(push.id);
      if (pusher.failures > 0) pushers.resetBackoff(pusherId);
      if (delivery.outcome === "refused") {
        deps.emit({ type: "dropped", pusherId, eventId: eventIdOf(push), reason: delivery.reason });
        continue;
      }
      deps.emit({ type: "sent", pusherId, eventId: eventIdOf(push) });
      if (delivery.rejected.includes(pusher.pushkey)) {
        // Spec: stop sending to a rejected pushkey and remove its pusher (and what it had queued).
        pushers.deleteById(pusherId);
        deps.emit({ type: "rejected", pusherId, userId: pusher.user_id, appId: pusher.app_id, pushkey: pusher.pushkey });
        return;
      }
    }
  }

  const drains = createKeyedDrain<number>(clock, sendQueued, (pusherId, e) => log.error("push sender failed", { pusher: pusherId, error: e }));

  return {
    /** Drains the given pushers, or every pusher with queued pushes when none is named. */
    wake(pusherIds: readonly number[]): void {
      if (pusherIds.length > 0) {
        for (const id of pusherIds) drains.drain(id);
        return;
      }
      drains.resume(queue.waiting().map((w) => ({ key: w.pusher_id, retryAt: w.retry_at_ts })));
    },
    /** Stops sending; a push in flight stays queued and is sent after the next start. */
    stop(): void {
      stopping = true;
      drains.stop();
    },
  };
}
