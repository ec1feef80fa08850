/**
 * The delivery loop of the federation sender (runs in its worker): per destination, one
 * transaction in flight at a time, oldest items first, at most 50 PDUs and 100 EDUs each. A
 * transaction that failed for now (unreachable, 5xx, 429, 401/403 over keys) is retried after an
 * exponential backoff (capped; at least what a 429 asks), or at once when the destination contacts
 * us; while it keeps failing, its queue is bounded by age and size. One the destination refuses for
 * good (any other 4xx: a 400, the endpoint's 404, 413) is split in halves until the item it refuses
 * is found and dropped with the reason logged, so one bad item never blocks the queue. Everything
 * it needs to resume is in the queue tables, so a restart loses nothing.
 */
import { errorMessage, type JsonValue } from "../../core";
import { RemoteError, type FederationClient } from "../../net/federation-client";
import type { Clock } from "../../runtime/clock";
import { createKeyedDrain } from "../../runtime/keyed-drain";
import type { Logger } from "../../runtime/logger";
import type { FederationQueueRepo, QueuedItem } from "../../storage/federation-queue";
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

/** Whether the destination would refuse the same transaction again (so retrying cannot help). */
function refusedForGood(e: unknown): e is RemoteError {
  if (!(e instanceof RemoteError)) return false;
  // 401/403 come from signing-key problems (ours not fetched yet, theirs rotating): they pass.
  if (e.status === 401 || e.status === 403 || e.status === 408 || e.status === 429) return false;
  return e.status >= 400 && e.status < 500;
}

/** What a 429 asks us to wait, in ms (0 when it says nothing). */
function retryAfterMs(e: unknown): number {
  if (!(e instanceof RemoteError) || e.status !== 429 || typeof e.body !== "object" || e.body === null) return 0;
  const ms = (e.body as { retry_after_ms?: unknown }).retry_after_ms;
  return typeof ms === "number" && Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_RETRY_MS) : 0;
}

interface Items {
  pdus: QueuedItem[];
  edus: QueuedItem[];
}

/** Names an item for the log: a PDU by room and type, an EDU by type. */
function describe(items: Items): string {
  const [kind, item] = items.pdus.length > 0 ? ["PDU", items.pdus[0]!] : ["EDU", items.edus[0]!];
  const payload = JSON.parse(item.payload) as { type?: unknown; room_id?: unknown; edu_type?: unknown };
  return kind === "PDU" ? `PDU ${String(payload.type)} in ${String(payload.room_id)}` : `EDU ${String(payload.edu_type)}`;
}

export interface SenderLoopDeps {
  serverName: string;
  /** Bounds of a failing destination's queue: the oldest age (ms) and the most items kept. */
  queueLimits: { maxAgeMs: number; maxItems: number };
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

  async function send(destination: string, txnId: string, items: Items): Promise<void> {
    const body: JsonValue = {
      origin: deps.serverName,
      origin_server_ts: clock.now(),
      pdus: items.pdus.map((p) => JSON.parse(p.payload) as JsonValue),
      edus: items.edus.map((e) => JSON.parse(e.payload) as JsonValue),
    };
    const answer = await deps.client.request<{ pdus?: Record<string, { error?: string }> }>(destination, {
      method: "PUT",
      path: `/_matrix/federation/v1/send/${encodeURIComponent(txnId)}`,
      body,
      timeoutMs: SEND_TIMEOUT_MS,
      maxBytes: SEND_RESPONSE_MAX_BYTES,
    });
    for (const [eventId, result] of Object.entries(answer?.pdus ?? {})) {
      if (result?.error) log.debug("destination refused a PDU", { destination, eventId, error: result.error });
    }
  }

  /**
   * Sends the items; when the destination refuses them for good, sends each half as its own
   * transaction (ids `<txn>.a`, `<txn>.b`, ...) until the refused item is alone, and drops it.
   * Throws on a failure for now: the whole fixed transaction is retried (receivers de-duplicate).
   */
  async function deliver(destination: string, txnId: string, items: Items): Promise<void> {
    try {
      await send(destination, txnId, items);
    } catch (e) {
      if (!refusedForGood(e) || stopping) throw e;
      const all = [...items.pdus.map((item) => ({ kind: "pdu" as const, item })), ...items.edus.map((item) => ({ kind: "edu" as const, item }))];
      if (all.length === 1) {
        deps.emit({ type: "dropped", destination, txnId, item: describe(items), error: errorMessage(e) });
        return;
      }
      const half = Math.ceil(all.length / 2);
      for (const [suffix, part] of [["a", all.slice(0, half)], ["b", all.slice(half)]] as const) {
        const pick = (kind: "pdu" | "edu") => part.filter((p) => p.kind === kind).map((p) => p.item);
        await deliver(destination, `${txnId}.${suffix}`, { pdus: pick("pdu"), edus: pick("edu") });
      }
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
        await deliver(destination, batch.txnId, batch);
      } catch (e) {
        if (stopping) return; // the fixed transaction is resent after the restart
        const failures = (queue.state(destination)?.failures ?? 0) + 1;
        const delay = Math.max(backoffDelay(failures), retryAfterMs(e));
        queue.recordFailure(destination, failures, clock.now() + delay);
        drains.schedule(destination, clock.now() + delay);
        const error = errorMessage(e);
        deps.emit({ type: "failed", destination, txnId: batch.txnId, failures, retryInMs: delay, error });
        const { maxAgeMs, maxItems } = deps.queueLimits;
        const dropped = queue.trim(destination, clock.now() - maxAgeMs, maxItems);
        if (dropped > 0) deps.emit({ type: "trimmed", destination, dropped, failures });
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
