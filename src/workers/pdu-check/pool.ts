/**
 * The PDU check workers: a large batch (a join's state and auth chain) is split into one slice
 * per worker, checked in parallel, and the verdicts come back in order. Workers start on first
 * use and never keep the process alive while idle.
 */
import { encodeBase64, type KeyTable, type PduCheckRunner, type PduVerdict, type RoomVersionRules } from "../../core";
import type { BusyMeter } from "../../runtime/busy-meter";
import type { CheckBatch, FromPduCheckWorker } from "./protocol";

/** The worker script beside this module (in a compiled binary, at the bundle's workers/ path). */
const WORKER_URL = import.meta.url.includes("/$bunfs/")
  ? new URL("./workers/pdu-check/pdu-check.worker.ts", import.meta.url).href
  : new URL("./pdu-check.worker.ts", import.meta.url).href;

interface Pending {
  resolve(verdicts: PduVerdict[]): void;
  reject(error: Error): void;
}

export function createPduCheckPool(size = Math.max(1, Math.min(navigator.hardwareConcurrency ?? 1, 8)), busy?: BusyMeter): PduCheckRunner {
  const workers: (Worker | undefined)[] = [];
  const pending = new Map<number, { worker: Worker; job: Pending }>();
  let nextJob = 1;

  function worker(i: number): Worker {
    let w = workers[i];
    if (!w) {
      w = new Worker(WORKER_URL);
      w.unref();
      w.onmessage = (event: MessageEvent<FromPduCheckWorker>) => {
        const message = event.data;
        const entry = pending.get(message.jobId);
        if (!entry) return;
        pending.delete(message.jobId);
        if (![...pending.values()].some((p) => p.worker === entry.worker)) entry.worker.unref();
        if (message.kind === "checked") entry.job.resolve(JSON.parse(message.verdicts) as PduVerdict[]);
        else entry.job.reject(new Error(`PDU checks failed: ${message.error}`));
      };
      const failAll = (reason: string) => {
        for (const [id, entry] of pending) {
          if (entry.worker !== w) continue;
          pending.delete(id);
          entry.job.reject(new Error(`PDU check worker stopped: ${reason}`));
        }
        if (workers[i] === w) workers[i] = undefined; // the next batch starts a fresh one
      };
      w.addEventListener("error", (e) => failAll((e as ErrorEvent).message));
      workers[i] = w;
    }
    return w;
  }

  function run(w: Worker, batch: Omit<CheckBatch, "jobId">): Promise<PduVerdict[]> {
    const jobId = nextJob++;
    return new Promise<PduVerdict[]>((resolve, reject) => {
      pending.set(jobId, { worker: w, job: { resolve, reject } });
      w.ref();
      w.postMessage({ ...batch, jobId } satisfies CheckBatch);
    });
  }

  return {
    async check(raws: readonly unknown[], rules: RoomVersionRules, keys: KeyTable): Promise<PduVerdict[]> {
      const keyList: CheckBatch["keys"] = [...keys].map(([name, k]) => [name, encodeBase64(k.key), k.validUntilTs, k.expiredTs]);
      const slice = Math.ceil(raws.length / size);
      const parts: Promise<PduVerdict[]>[] = [];
      for (let i = 0; i * slice < raws.length; i++) {
        parts.push(run(worker(i), { roomVersion: rules.id, pdus: JSON.stringify(raws.slice(i * slice, (i + 1) * slice)), keys: keyList }));
      }
      const done = busy?.start();
      try {
        return (await Promise.all(parts)).flat();
      } finally {
        done?.();
      }
    },
  };
}
