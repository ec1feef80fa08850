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

/**
 * How to start the sender worker, and the database file it opens. The worker starts only when
 * there is something to send (queued rows at start, or the first item queued): an idle server
 * that federates with nobody keeps no sender thread (each costs several MB).
 */
export interface SenderWorker {
  start(): Worker;
  databaseFile: string;
}


const STOP_TIMEOUT_MS = 5_000;

export function createFederationSender(deps: {
  config: Config;
  storage: Storage;
  clock: Clock;
  log: Logger;
  signingKey: SigningKey;
  worker?: SenderWorker;
}) {
  const { config, storage, clock, log, signingKey } = deps;
  const starter = config.allow_federation ? deps.worker : undefined;
  let worker: Worker | undefined;
  let stopping = false;
  const post = (command: SenderCommand) => worker?.postMessage(command);
  const listeners = new Set<(event: SenderEvent) => void>();
  /** Destinations whose last transaction failed: a request from them triggers a retry. */
  const backingOff = new Set<string>();
  let pendingWake: Set<string> | undefined;

  /** Starts the worker unless it runs (or the sender was stopped); it resumes every queue itself. */
  function ensureWorker(): void {
    if (worker || stopping || !starter) return;
    worker = starter.start();
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", (e) => log.error("federation sender worker failed", { error: e.message }));
    post({ type: "start", config, databaseFile: starter.databaseFile, signingKey });
  }

  function onMessage(message: MessageEvent<SenderEvent>): void {
    const event = message.data;
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
    } else if (event.type === "sent") {
      backingOff.delete(event.destination);
      log.debug("federation transaction sent", { destination: event.destination, pdus: event.pdus, edus: event.edus });
    }
    for (const listener of listeners) listener(event);
  }
  // Items queued before a restart (or a crash) are sent at once.
  if (storage.federationQueue.waitingDestinations().length > 0) ensureWorker();

  /** Wakes the worker after the current synchronous work, so the caller's transaction has committed. */
  function wakeLater(destinations: Iterable<string>): void {
    if (!pendingWake) {
      pendingWake = new Set();
      queueMicrotask(() => {
        const destinations = [...pendingWake!];
        pendingWake = undefined;
        if (destinations.length === 0) return;
        if (worker) post({ type: "wake", destinations });
        else ensureWorker(); // a new worker looks at every queue
      });
    }
    for (const d of destinations) pendingWake.add(d);
  }

  function enqueue(destinations: Iterable<string>, kind: "pdu" | "edu", payload: JsonObject): void {
    if (!config.allow_federation) return;
    const remote = [...new Set(destinations)].filter((d) => d !== config.server_name);
    if (remote.length === 0) return;
    storage.federationQueue.enqueue(remote, kind, JSON.stringify(payload), clock.now());
    wakeLater(remote);
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
      if (backingOff.delete(origin)) post({ type: "contact", destination: origin });
    },
    /** Observes the worker's reports (delivery, failures). */
    onEvent(listener: (event: SenderEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Asks the worker to stop and close its connection; in-flight transactions are resent later. */
    async stop(): Promise<void> {
      stopping = true;
      const running = worker;
      if (!running) return;
      const stopped = new Promise<void>((resolve) => {
        const done = (m: MessageEvent<SenderEvent>) => m.data.type === "stopped" && resolve();
        running.addEventListener("message", done);
        setTimeout(resolve, STOP_TIMEOUT_MS).unref();
      });
      post({ type: "stop" });
      worker = undefined; // later items stay queued for the next start
      await stopped;
      running.terminate();
    },
  };
}
export type FederationSender = ReturnType<typeof createFederationSender>;
