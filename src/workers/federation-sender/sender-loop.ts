/**
 * The delivery loop of the federation sender (runs in its worker): per destination, one
 * transaction in flight at a time, oldest items first, at most 50 PDUs and 100 EDUs each. A failed
 * transaction is retried after an exponential backoff (capped), or at once when the destination
 * contacts us. Everything it needs to resume is in the queue tables, so a restart loses nothing.
 */
import type { JsonValue } from "../../core";
import type { FederationClient } from "../../net/federation-client";
import type { Clock } from "../../runtime/clock";
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
  /** Destinations being drained; `again` asks for one more pass after new work arrived. */
  const running = new Map<string, { again: boolean }>();
  /** Cancels the retry timer of each destination backing off. */
  const timers = new Map<string, () => void>();
  let txnCounter = 0;
  let stopping = false;

  function schedule(destination: string, at: number): void {
    timers.get(destination)?.();
    const cancel = clock.schedule(at - clock.now(), () => {
      timers.delete(destination);
      void drain(destination);
    });
    timers.set(destination, cancel);
  }

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
      schedule(destination, state.retry_at_ts);
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
        schedule(destination, clock.now() + delay);
        const error = e instanceof Error ? e.message : String(e);
        deps.emit({ type: "failed", destination, txnId: batch.txnId, failures, retryInMs: delay, error });
        return;
      }
      if (stopping) return;
      queue.finishTransaction(destination, clock.now());
      deps.emit({ type: "sent", destination, txnId: batch.txnId, pdus: batch.pdus.length, edus: batch.edus.length });
    }
  }

  async function drain(destination: string): Promise<void> {
    const run = running.get(destination);
    if (run) {
      run.again = true;
      return;
    }
    const current = { again: true };
    running.set(destination, current);
    try {
      while (current.again && !stopping) {
        current.again = false;
        await sendQueued(destination);
      }
    } catch (e) {
      log.error("federation sender failed", { destination, error: e });
    } finally {
      running.delete(destination);
    }
  }

  return {
    /** Drains the given destinations, or every destination with queued items when none is named. */
    wake(destinations: readonly string[]): void {
      if (destinations.length > 0) {
        for (const d of destinations) void drain(d);
        return;
      }
      for (const { destination, retry_at_ts } of queue.waitingDestinations()) {
        if (retry_at_ts > clock.now()) schedule(destination, retry_at_ts);
        else void drain(destination);
      }
    },
    contact(destination: string): void {
      queue.resetBackoff(destination);
      timers.get(destination)?.();
      timers.delete(destination);
      void drain(destination);
    },
    /** Stops sending; an in-flight transaction stays fixed in the queue and is resent later. */
    stop(): void {
      stopping = true;
      for (const cancel of timers.values()) cancel();
      timers.clear();
    },
  };
}
