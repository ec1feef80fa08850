/**
 * Runs the database's full integrity check in a worker thread, off the start path: main.ts does
 * this after an unclean shutdown, once the server listens. The worker ends with the check.
 */
import type { IntegrityReport } from "../../storage/integrity";
import type { CheckRequest, FromIntegrityWorker } from "./protocol";

/** The worker script beside this module (in a compiled binary, at the bundle's workers/ path). */
const WORKER_URL = import.meta.url.includes("/$bunfs/")
  ? new URL("./workers/integrity-check/integrity-check.worker.ts", import.meta.url).href
  : new URL("./integrity-check.worker.ts", import.meta.url).href;

export function checkIntegrityInBackground(file: string): Promise<IntegrityReport> {
  return new Promise<IntegrityReport>((resolve, reject) => {
    const worker = new Worker(WORKER_URL);
    worker.unref(); // a check in progress never keeps a stopping server alive
    worker.onmessage = (event: MessageEvent<FromIntegrityWorker>) => {
      worker.terminate();
      if (event.data.kind === "checked") resolve(event.data.report);
      else reject(new Error(`integrity check failed to run: ${event.data.error}`));
    };
    worker.addEventListener("error", (e) => {
      worker.terminate();
      reject(new Error(`integrity check worker stopped: ${(e as ErrorEvent).message}`));
    });
    worker.postMessage({ file } satisfies CheckRequest);
  });
}
