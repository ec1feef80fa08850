/**
 * The main thread's side of push delivery (the services' `PushDelivery`): pushes are queued
 * durably inside the transaction that produced them, and the push sender worker is woken once
 * that transaction has committed. The worker starts with the first queued push (or at start when
 * pushes wait from before a restart): a server whose users set no pusher keeps no push thread.
 */
import type { Config } from "../../config";
import type { Storage } from "../../storage";
import type { PushSenderCommand, PushSenderEvent } from "./protocol";
import type { Logger } from "../../runtime/logger";

/** How to start the push sender worker, and the database file it opens. */
export interface PushWorker {
  start(): Worker;
  databaseFile: string;
}

const STOP_TIMEOUT_MS = 5_000;

export function createPushSender(deps: { config: Config; storage: Storage; log: Logger; worker?: PushWorker }) {
  const { config, storage, log } = deps;
  let worker: Worker | undefined;
  let stopping = false;
  const listeners = new Set<(event: PushSenderEvent) => void>();
  let pendingWake: Set<number> | undefined;
  const post = (command: PushSenderCommand) => worker?.postMessage(command);

  function ensureWorker(): void {
    if (worker || stopping || !deps.worker) return;
    worker = deps.worker.start();
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", (e) => log.error("push sender worker failed", { error: e.message }));
    post({ type: "start", config, databaseFile: deps.worker.databaseFile });
  }

  function onMessage(message: MessageEvent<PushSenderEvent>): void {
    const event = message.data;
    if (event.type === "failed") {
      log.info("push gateway unreachable; will retry", { pusher: event.pusherId, failures: event.failures, retry_in_ms: event.retryInMs, error: event.error });
    } else if (event.type === "dropped") {
      log.warn("push dropped", { pusher: event.pusherId, event_id: event.eventId, reason: event.reason });
    } else if (event.type === "rejected") {
      log.info("push gateway rejected a pushkey; pusher removed", { user: event.userId, app_id: event.appId });
    }
    for (const listener of listeners) listener(event);
  }
  // Pushes queued before a restart (or a crash) go out at once.
  if (storage.pushQueue.waiting().length > 0) ensureWorker();

  return {
    /** Wakes the worker for these pushers after the current synchronous work (the caller's commit). */
    wakeLater(pusherIds: Iterable<number>): void {
      if (!pendingWake) {
        pendingWake = new Set();
        queueMicrotask(() => {
          const ids = [...pendingWake!];
          pendingWake = undefined;
          if (ids.length === 0) return;
          if (worker) post({ type: "wake", pushers: ids });
          else ensureWorker(); // a new worker looks at every queue
        });
      }
      for (const id of pusherIds) pendingWake.add(id);
    },
    onPusherRemoved(listener: (userId: string) => void): () => void {
      const forward = (event: PushSenderEvent) => event.type === "rejected" && listener(event.userId);
      listeners.add(forward);
      return () => listeners.delete(forward);
    },
    /** Observes the worker's reports (deliveries, retries, drops, rejected pushkeys). */
    onEvent(listener: (event: PushSenderEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Stops the worker; what it had not sent stays queued for the next start. */
    async stop(): Promise<void> {
      stopping = true;
      const running = worker;
      if (!running) return;
      const stopped = new Promise<void>((resolve) => {
        running.addEventListener("message", (m: MessageEvent<PushSenderEvent>) => m.data.type === "stopped" && resolve());
        setTimeout(resolve, STOP_TIMEOUT_MS).unref();
      });
      post({ type: "stop" });
      worker = undefined;
      await stopped;
      running.terminate();
    },
  };
}
export type PushSender = ReturnType<typeof createPushSender>;
