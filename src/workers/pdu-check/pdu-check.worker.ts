/**
 * A PDU check worker: format, signatures and content hashes of a batch of events, with the keys
 * the main thread looked up, so a large join's checks do not hold up the event loop.
 */
import { checkPdu, decodeBase64, errorMessage, rulesFor, type KnownKey } from "../../core";
import type { CheckBatch, FromPduCheckWorker } from "./protocol";

declare const self: Worker;

self.onmessage = (event: MessageEvent<CheckBatch>) => {
  const batch = event.data;
  let reply: FromPduCheckWorker;
  try {
    const rules = rulesFor(batch.roomVersion);
    const keys = new Map<string, KnownKey>(
      batch.keys.map(([name, key, validUntilTs, expiredTs]) => [name, { key: decodeBase64(key), validUntilTs, expiredTs }]),
    );
    const verdicts = (JSON.parse(batch.pdus) as unknown[]).map((raw) => checkPdu(raw, rules, keys));
    reply = { kind: "checked", jobId: batch.jobId, verdicts: JSON.stringify(verdicts) };
  } catch (error) {
    reply = { kind: "failed", jobId: batch.jobId, error: errorMessage(error) };
  }
  self.postMessage(reply);
};
