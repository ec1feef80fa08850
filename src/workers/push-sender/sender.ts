/**
 * The main thread's side of push delivery (the services' `PushDelivery`): pushes are queued
 * durably inside the transaction that produced them, and the push sender worker is woken once
 * that transaction has committed. The worker starts with the first queued push (or at start when
 * pushes wait from before a restart): a server whose users set no pusher keeps no push thread.
 */
import type { Config } from "../../config";
import type { Logger } from "../../runtime/logger";
import { createQueueWorker } from "../../runtime/queue-worker";
import type { Storage } from "../../storage";
import type { PushSenderCommand, PushSenderEvent } from "./protocol";

/** How to start the push sender worker, and the database file it opens. */
export interface PushWorker {
  start(): Worker;
  databaseFile: string;
}

export function createPushSender(deps: { config: Config; storage: Storage; log: Logger; worker?: PushWorker }) {
  const { config, storage, log, worker } = deps;
  const listeners = new Set<(event: PushSenderEvent) => void>();

  function onEvent(event: PushSenderEvent): void {
    if (event.type === "failed") {
      log.info("push gateway unreachable; will retry", { pusher: event.pusherId, failures: event.failures, retry_in_ms: event.retryInMs, error: event.error });
    } else if (event.type === "dropped") {
      log.warn("push dropped", { pusher: event.pusherId, event_id: event.eventId, reason: event.reason });
    } else if (event.type === "rejected") {
      log.info("push gateway rejected a pushkey; pusher removed", { user: event.userId, app_id: event.appId });
    }
    for (const listener of listeners) listener(event);
  }

  const thread = createQueueWorker<number, PushSenderEvent>({
    start: worker && (() => worker.start()),
    startCommand: (): PushSenderCommand => ({ type: "start", config, databaseFile: worker!.databaseFile }),
    wakeCommand: (pushers): PushSenderCommand => ({ type: "wake", pushers }),
    stopCommand: { type: "stop" } satisfies PushSenderCommand,
    onEvent,
    onError: (error) => log.error("push sender worker failed", { error }),
  });
  // Pushes queued before a restart (or a crash) go out at once.
  if (storage.pushQueue.waiting().length > 0) thread.ensure();

  function subscribe(listener: (event: PushSenderEvent) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  return {
    /** Wakes the worker for these pushers after the current synchronous work (the caller's commit). */
    wakeLater: (pusherIds: Iterable<number>) => thread.wakeLater(pusherIds),
    onPusherRemoved: (listener: (userId: string) => void) => subscribe((event) => event.type === "rejected" && listener(event.userId)),
    /** Observes the worker's reports (deliveries, retries, drops, rejected pushkeys). */
    onEvent: subscribe,
    /** Stops the worker; what it had not sent stays queued for the next start. */
    stop: () => thread.stop(),
  };
}
export type PushSender = ReturnType<typeof createPushSender>;
