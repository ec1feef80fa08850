/**
 * The delivery loop of the federation sender (runs in its worker): per destination, one
 * transaction in flight at a time, oldest items first, at most 50 PDUs and 100 EDUs each. A failed
 * transaction is retried after an exponential backoff (capped), or at once when the destination
 * contacts us. Everything it needs to resume is in the queue tables, so a restart loses nothing.
 */
import { errorMessage, type JsonValue } from "../../core";
import type { FederationClient } from "../../net/federation-client";
import type { Clock } from "../../runtime/clock";
import { createKeyedDrain } from "../../runtime/keyed-drain";
import type { Logger } from "../../runtime/logger";
import type { FederationQueueRepo, TransactionBatch } from "../../storage/federation-queue";
import type { SenderEvent } from "./protocol";

const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 15 * 60_000;
const SEND_TIMEOUT_MS = 60_000;
const SEND_RESPONSE_MAX_BYTES = 4 * 1024 * 1024;
/** Typing and presence older than this are not worth delivering after an outage. */
const EPHEMERAL_LIFETIME_MS = 5 * 60_000;

export function backoffDelay(failures: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(failures - 1, 30));
}

export interface SenderLoopDeps {
  serverName: string;
  queue: FederationQueueRepo;
  client: FederationClient;
  clock: Clock;
  log: Logger;
  emit(event: SenderEvent): void;
}

export function createSenderLoop(deps: SenderLoopDeps) {
  const { queue, clock, log } = deps;
  let txnCounter = 0;
  let stopping = false;

  async function send(destination: string, batch: TransactionBatch): Promise<void> {
    const body: JsonValue = {
      origin: deps.serverName,
      origin_server_ts: clock.now(),
      pdus: batch.pdus.map((p) => JSON.parse(p.payload) as JsonValue),
      edus: batch.edus.map((e) => JSON.parse(e.payload) as JsonValue),
    };
    const answer = await deps.client.request<{ pdus?: Record<string, { error?: string }> }>(destination, {
      method: "PUT",
      path: `/_matrix/federation/v1/send/${encodeURIComponent(batch.txnId)}`,
      body,
      timeoutMs: SEND_TIMEOUT_MS,
      maxBytes: SEND_RESPONSE_MAX_BYTES,
    });
    for (const [eventId, result] of Object.entries(answer?.pdus ?? {})) {
      if (result?.error) log.debug("destination refused a PDU", { destination, eventId, error: result.error });
    }
  }

  /** Sends everything queued for `destination`, unless it is backing off. */
  async function sendQueued(destination: string): Promise<void> {
    const state = queue.state(destination);
    if (state && state.retry_at_ts > clock.now()) {
      drains.schedule(destination, state.retry_at_ts);
      return;
    }
    while (!stopping) {
      const batch = queue.nextTransaction(destination, `${clock.now()}.${++txnCounter}`, clock.now() - EPHEMERAL_LIFETIME_MS);
      if (!batch) return;
      try {
        await send(destination, batch);
      } catch (e) {
        if (stopping) return; // the fixed transaction is resent after the restart
        const failures = (queue.state(destination)?.failures ?? 0) + 1;
        const delay = backoffDelay(failures);
        queue.recordFailure(destination, failures, clock.now() + delay);
        drains.schedule(destination, clock.now() + delay);
        const error = errorMessage(e);
        deps.emit({ type: "failed", destination, txnId: batch.txnId, failures, retryInMs: delay, error });
        return;
      }
      if (stopping) return;
      queue.finishTransaction(destination, clock.now());
      deps.emit({ type: "sent", destination, txnId: batch.txnId, pdus: batch.pdus.length, edus: batch.edus.length });
    }
  }

  /** One drain at a time per destination; a destination backing off is drained when its retry is due. */
  const drains = createKeyedDrain<string>(clock, sendQueued, (destination, e) => log.error("federation sender failed", { destination, error: e }));

  return {
    /** Drains the given destinations, or every destination with queued items when none is named. */
    wake(destinations: readonly string[]): void {
      if (destinations.length > 0) {
        for (const d of destinations) drains.drain(d);
        return;
      }
      drains.resume(queue.waitingDestinations().map((w) => ({ key: w.destination, retryAt: w.retry_at_ts })));
    },
    contact(destination: string): void {
      queue.resetBackoff(destination);
      drains.drain(destination);
    },
    /** Stops sending; an in-flight transaction stays fixed in the queue and is resent later. */
    stop(): void {
      stopping = true;
      drains.stop();
    },
  };
}
