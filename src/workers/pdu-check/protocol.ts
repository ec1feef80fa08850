/**
 * Messages between the main thread and a PDU check worker: a batch of raw PDUs with the room
 * version and the signing keys they need (as JSON text, cheap to pass), and the verdicts back in
 * the same order.
 */
export interface CheckBatch {
  jobId: number;
  roomVersion: string;
  /** JSON array of the raw PDUs. */
  pdus: string;
  /** `[server \0 key id, unpadded base64 key, valid until, expired at | null]` for each key. */
  keys: Array<[string, string, number, number | null]>;
}

export type FromPduCheckWorker =
  | { kind: "checked"; jobId: number; /** JSON array of verdicts. */ verdicts: string }
  | { kind: "failed"; jobId: number; error: string };
