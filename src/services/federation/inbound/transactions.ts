/**
 * Receiving transactions (`PUT /send/{txnId}`): each (origin, txn id) is processed once — a replay
 * or a retry gets the first answer again. Its PDUs go through the room pipeline one by one, its
 * EDUs to whichever service handles their type (typing, receipts, presence, …); a bad PDU or EDU
 * never fails the transaction.
 */
import { isJsonObject, type JsonObject } from "../../../core";
import type { Storage } from "../../../storage";
import { MAX_EDUS_PER_TXN, MAX_PDUS_PER_TXN } from "../../../storage/federation-queue";
import type { Clock } from "../../../runtime/clock";
import type { Logger } from "../../../runtime/logger";
import { badJson } from "../../matrix-error";

export type PduResults = Record<string, { error?: string }>;
export type EduHandler = (origin: string, content: JsonObject) => void | Promise<void>;

/** How long a received transaction id is remembered. */
const TXN_MEMORY_MS = 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;

export function createTransactionReceiver(deps: {
  storage: Storage;
  clock: Clock;
  log: Logger;
  receivePdus(origin: string, pdus: readonly unknown[]): Promise<PduResults>;
}) {
  const { storage, clock, log } = deps;
  const eduHandlers = new Map<string, EduHandler>();
  const inflight = new Map<string, Promise<{ pdus: PduResults }>>();
  let lastPrune = 0;

  async function handleEdus(origin: string, edus: unknown[]): Promise<void> {
    for (const edu of edus) {
      if (!isJsonObject(edu) || typeof edu.edu_type !== "string" || !isJsonObject(edu.content)) continue;
      const handler = eduHandlers.get(edu.edu_type);
      if (!handler) continue; // unknown EDU types are ignored, as the spec allows
      try {
        await handler(origin, edu.content);
      } catch (e) {
        log.warn("ignored an EDU that could not be applied", { origin, edu_type: edu.edu_type, error: e });
      }
    }
  }

  async function process(origin: string, txnId: string, body: JsonObject): Promise<{ pdus: PduResults }> {
    const pdus = body.pdus as unknown[];
    const edus = (body.edus ?? []) as unknown[];
    const response = { pdus: await deps.receivePdus(origin, pdus) };
    await handleEdus(origin, edus);
    storage.federationTxns.recordResponse(origin, txnId, JSON.stringify(response), clock.now());
    if (clock.now() - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = clock.now();
      storage.federationTxns.prune(clock.now() - TXN_MEMORY_MS);
    }
    return response;
  }

  return {
    /** Registers the service that applies EDUs of one type. */
    onEdu(eduType: string, handler: EduHandler): void {
      eduHandlers.set(eduType, handler);
    },

    async receive(origin: string, txnId: string, body: unknown): Promise<{ pdus: PduResults }> {
      if (!isJsonObject(body) || !Array.isArray(body.pdus)) throw badJson("A transaction needs a pdus array");
      if (body.edus !== undefined && !Array.isArray(body.edus)) throw badJson("edus must be an array");
      if (body.pdus.length > MAX_PDUS_PER_TXN || (body.edus?.length ?? 0) > MAX_EDUS_PER_TXN) {
        throw badJson(`A transaction carries at most ${MAX_PDUS_PER_TXN} PDUs and ${MAX_EDUS_PER_TXN} EDUs`);
      }
      const seen = storage.federationTxns.getResponse(origin, txnId);
      if (seen !== null) return JSON.parse(seen) as { pdus: PduResults };
      const key = `${origin}\u0000${txnId}`;
      let running = inflight.get(key);
      if (!running) {
        running = process(origin, txnId, body).finally(() => inflight.delete(key));
        inflight.set(key, running);
      }
      return running;
    },
  };
}
export type TransactionReceiver = ReturnType<typeof createTransactionReceiver>;
