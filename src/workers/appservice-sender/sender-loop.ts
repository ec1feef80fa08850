/**
 * The delivery loop of the appservice sender (runs in its worker): per appservice, one
 * transaction at a time, in queue order (spec "Pushing events"). A transaction is fixed in the
 * queue before it is sent, so a retry, even after a restart, resends the same items under the
 * same id. Any failure (no answer, or an answer other than 2xx) is retried after an exponential
 * backoff; the appservice's items stay queued meanwhile, and typing and presence that went stale
 * while it was down are left out of the next new transaction.
 */
import { errorMessage, transactionBody, type Registration } from "../../core";
import { putTransaction } from "../../net/appservice-client";
import type { Clock } from "../../runtime/clock";
import { createKeyedDrain } from "../../runtime/keyed-drain";
import type { Logger } from "../../runtime/logger";
import type { AppserviceQueueRepo } from "../../storage/appservice-queue";
import type { AppserviceSenderEvent } from "./protocol";

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 5 * 60_000;
/** Typing and presence older than this describe a moment long gone. */
export const STALE_EPHEMERAL_MS = 10 * 60_000;

/** The wait before the next attempt after `failures` failures in a row. */
export function appserviceRetryDelay(failures: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(failures - 1, 30));
}

export interface AppserviceLoopDeps {
  queue: AppserviceQueueRepo;
  clock: Clock;
  log: Logger;
  emit(event: AppserviceSenderEvent): void;
  /** `allow_invalid_tls_certificates`, for https registrations on test networks. */
  allowInvalidCertificates: boolean;
  /** Sends one transaction; throws when the appservice gave no answer. */
  send?: typeof putTransaction;
}

export function createAppserviceLoop(deps: AppserviceLoopDeps, initial: readonly Registration[]) {
  const { queue, clock } = deps;
  const send = deps.send ?? putTransaction;
  let registrations = new Map(initial.map((r) => [r.id, r]));
  let stopping = false;
  /** Transactions on their way: a stop waits for their answers (the appservice may be acting on them). */
  const inFlight = new Set<Promise<unknown>>();

  async function sendQueued(id: string): Promise<void> {
    if (!registrations.get(id)?.url) return; // unregistered, or sent nothing
    const state = queue.state(id);
    if (state && state.retry_at_ts > clock.now()) {
      drains.schedule(id, state.retry_at_ts);
      return;
    }
    let txn = queue.nextTransaction(id, clock.now() - STALE_EPHEMERAL_MS);
    while (txn && !stopping) {
      const registration = registrations.get(id);
      const url = registration?.url;
      if (!registration || !url) return;
      let error: string | undefined;
      const sending = send({ url, hsToken: registration.hsToken, allowInvalidCertificates: deps.allowInvalidCertificates }, txn.txnId, transactionBody(registration, txn.items));
      inFlight.add(sending);
      try {
        const answer = await sending;
        if (answer.status < 200 || answer.status >= 300) error = `appservice answered ${answer.status}: ${answer.text.slice(0, 200)}`;
      } catch (e) {
        error = errorMessage(e);
      } finally {
        inFlight.delete(sending);
      }
      if (error === undefined) {
        // Recorded even while stopping: resending an accepted transaction after the restart
        // would reach an appservice that may still be acting on it.
        const sent = txn;
        txn = queue.finishTransaction(id, clock.now(), clock.now() - STALE_EPHEMERAL_MS);
        deps.emit({ type: "sent", appserviceId: id, txnId: sent.txnId, items: sent.items.length });
        continue;
      }
      if (stopping) return; // the transaction stays fixed for the next start
      const failures = (queue.state(id)?.failures ?? 0) + 1;
      const delay = appserviceRetryDelay(failures);
      queue.recordFailure(id, failures, clock.now() + delay);
      drains.schedule(id, clock.now() + delay);
      deps.emit({ type: "failed", appserviceId: id, txnId: txn.txnId, failures, retryInMs: delay, error });
      return;
    }
  }

  const drains = createKeyedDrain<string>(clock, sendQueued, (id, e) => deps.log.error("appservice sender failed", { appservice: id, error: e }));

  return {
    /** Drains the given appservices, or every appservice with queued items when none is named. */
    wake(ids: readonly string[]): void {
      if (ids.length > 0) {
        for (const id of ids) drains.drain(id);
        return;
      }
      drains.resume(queue.waiting().map((w) => ({ key: w.appservice_id, retryAt: w.retry_at_ts })));
    },
    /** The registry changed: new appservices get what waits for them, removed ones nothing more. */
    setRegistrations(next: readonly Registration[]): void {
      registrations = new Map(next.map((r) => [r.id, r]));
      this.wake([]);
    },
    /**
     * Stops sending once the transactions in flight are answered (the main thread gives up
     * waiting after a while; one without an answer stays queued and is resent after the next start).
     */
    async stop(): Promise<void> {
      stopping = true;
      drains.stop();
      await Promise.allSettled([...inFlight]);
    },
  };
}
export type AppserviceLoop = ReturnType<typeof createAppserviceLoop>;
