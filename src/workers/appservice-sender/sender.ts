/**
 * The main thread's side of appservice delivery (the services' `AppserviceDelivery`): items are
 * queued durably inside the transaction that produced them, and the appservice sender worker is
 * woken once that transaction has committed. The worker starts with the first queued item (or
 * at start when items wait from before a restart): a server without appservices keeps no thread.
 */
import type { Config } from "../../config";
import type { Registration } from "../../core";
import type { Logger } from "../../runtime/logger";
import { createQueueWorker } from "../../runtime/queue-worker";
import type { Storage } from "../../storage";
import type { AppserviceSenderCommand, AppserviceSenderEvent } from "./protocol";

/** How to start the appservice sender worker, and the database file it opens. */
export interface AppserviceWorker {
  start(): Worker;
  databaseFile: string;
}

export function createAppserviceSender(deps: { config: Config; storage: Storage; log: Logger; worker?: AppserviceWorker }) {
  const { config, storage, log, worker } = deps;
  const listeners = new Set<(event: AppserviceSenderEvent) => void>();
  let registrations: Registration[] = [];

  function onEvent(event: AppserviceSenderEvent): void {
    if (event.type === "failed") {
      log.info("appservice unreachable; will retry", {
        appservice: event.appserviceId,
        txn_id: event.txnId,
        failures: event.failures,
        retry_in_ms: event.retryInMs,
        error: event.error,
      });
    } else if (event.type === "sent") {
      log.debug("appservice transaction sent", { appservice: event.appserviceId, txn_id: event.txnId, items: event.items });
    }
    for (const listener of listeners) listener(event);
  }

  const thread = createQueueWorker<string, AppserviceSenderEvent>({
    start: worker && (() => worker.start()),
    startCommand: (): AppserviceSenderCommand => ({ type: "start", config, databaseFile: worker!.databaseFile, registrations }),
    wakeCommand: (appservices): AppserviceSenderCommand => ({ type: "wake", appservices }),
    stopCommand: { type: "stop" } satisfies AppserviceSenderCommand,
    onEvent,
    onError: (error) => log.error("appservice sender worker failed", { error }),
  });

  return {
    wakeLater: (appserviceIds: Iterable<string>) => thread.wakeLater(appserviceIds),
    registrationsChanged(next: readonly Registration[]): void {
      registrations = [...next];
      thread.post({ type: "registrations", registrations } satisfies AppserviceSenderCommand);
      // Items queued before a restart (or a crash) go out at once.
      if (storage.appserviceQueue.waiting().length > 0) thread.ensure();
    },
    /** Observes the worker's reports (transactions sent, failures it will retry). */
    onEvent(listener: (event: AppserviceSenderEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Stops the worker; what it had not sent stays queued for the next start. */
    stop: () => thread.stop(),
  };
}
export type AppserviceSender = ReturnType<typeof createAppserviceSender>;
