/**
 * The main thread's side of outbound federation: queue PDUs and EDUs durably (inside the
 * caller's transaction when there is one), then wake the sender worker once the rows are
 * committed. A request from a server that is in backoff wakes its queue at once.
 */
import type { Config } from "../../config";
import type { Edu, JsonObject, SigningKey } from "../../core";
import type { Storage } from "../../storage";
import type { SenderCommand, SenderEvent } from "./protocol";
import type { Clock } from "../../runtime/clock";
import type { Logger } from "../../runtime/logger";
import { createQueueWorker } from "../../runtime/queue-worker";

/**
 * How to start the sender worker, and the database file it opens. The worker starts only when
 * there is something to send (queued rows at start, or the first item queued): an idle server
 * that federates with nobody keeps no sender thread (each costs several MB).
 */
export interface SenderWorker {
  start(): Worker;
  databaseFile: string;
}

export function createFederationSender(deps: {
  config: Config;
  storage: Storage;
  clock: Clock;
  log: Logger;
  signingKey: SigningKey;
  worker?: SenderWorker;
}) {
  const { config, storage, clock, log, signingKey } = deps;
  const listeners = new Set<(event: SenderEvent) => void>();
  /** Destinations whose last transaction failed: a request from them triggers a retry. */
  const backingOff = new Set<string>();

  function onEvent(event: SenderEvent): void {
    if (event.type === "started") {
      log.info("federation sender started");
    } else if (event.type === "failed") {
      backingOff.add(event.destination);
      log.info("federation transaction failed; will retry", {
        destination: event.destination,
        txn: event.txnId,
        failures: event.failures,
        retry_in_ms: event.retryInMs,
        error: event.error,
      });
    } else if (event.type === "dropped") {
      log.warn("federation: the destination refused an item for good; it was dropped", {
        destination: event.destination,
        txn: event.txnId,
        item: event.item,
        error: event.error,
      });
    } else if (event.type === "trimmed") {
      log.warn("federation: a destination keeps failing; its oldest queued items were dropped", {
        destination: event.destination,
        dropped: event.dropped,
        failures: event.failures,
      });
    } else if (event.type === "sent") {
      backingOff.delete(event.destination);
      log.debug("federation transaction sent", { destination: event.destination, pdus: event.pdus, edus: event.edus });
    }
    for (const listener of listeners) listener(event);
  }

  const starter = config.allow_federation ? deps.worker : undefined;
  const thread = createQueueWorker<string, SenderEvent>({
    start: starter && (() => starter.start()),
    startCommand: (): SenderCommand => ({ type: "start", config, databaseFile: starter!.databaseFile, signingKey }),
    wakeCommand: (destinations): SenderCommand => ({ type: "wake", destinations }),
    stopCommand: { type: "stop" } satisfies SenderCommand,
    onEvent,
    onError: (error) => log.error("federation sender worker failed", { error }),
  });
  // Items queued before a restart (or a crash) are sent at once.
  if (storage.federationQueue.waitingDestinations().length > 0) thread.ensure();

  function enqueue(destinations: Iterable<string>, kind: "pdu" | "edu", payload: JsonObject): void {
    if (!config.allow_federation) return;
    const remote = [...new Set(destinations)].filter((d) => d !== config.server_name);
    if (remote.length === 0) return;
    storage.federationQueue.enqueue(remote, kind, JSON.stringify(payload), clock.now());
    thread.wakeLater(remote);
  }

  return {
    queuePdu(destinations: Iterable<string>, pdu: JsonObject): void {
      enqueue(destinations, "pdu", pdu);
    },
    queueEdu(destinations: Iterable<string>, edu: Edu): void {
      enqueue(destinations, "edu", { edu_type: edu.edu_type, content: edu.content });
    },
    /** `origin` sent us an authenticated request: it is reachable again. */
    contact(origin: string): void {
      if (backingOff.delete(origin)) thread.post({ type: "contact", destination: origin } satisfies SenderCommand);
    },
    /** Observes the worker's reports (delivery, failures). */
    onEvent(listener: (event: SenderEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Asks the worker to stop and close its connection; in-flight transactions are resent later. */
    stop: () => thread.stop(),
  };
}
export type FederationSender = ReturnType<typeof createFederationSender>;
