/**
 * The main thread's side of the thumbnail worker. The worker starts with the first job and stops
 * after `idleMs` without one, taking ImageMagick's memory with it (see docs/media.md); a job that
 * runs past `timeoutMs` stops the worker and fails, and the next job starts a fresh one.
 */
import type { RenderedThumbnail, ThumbnailJob } from "../../core/media/thumbnail-job.ts";
import type { FromThumbnailWorker, ToThumbnailWorker } from "./protocol.ts";

/** The worker script beside this module (in a compiled binary, at the bundle's workers/ path). */
const WORKER_URL = import.meta.url.includes("/$bunfs/")
  ? new URL("./workers/thumbnailer/thumbnailer.worker.ts", import.meta.url).href
  : new URL("./thumbnailer.worker.ts", import.meta.url).href;

/** A `ThumbnailRenderer` (what the media services need) that can be watched and stopped. */
export interface Thumbnailer {
  render(job: ThumbnailJob): Promise<RenderedThumbnail>;
  /** Whether the worker is running (it stops when idle). */
  running(): boolean;
  stop(): void;
}

export interface ThumbnailerOptions {
  idleMs?: number;
  timeoutMs?: number;
}

interface Pending {
  resolve(t: RenderedThumbnail): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export function createThumbnailer(opts: ThumbnailerOptions = {}): Thumbnailer {
  const idleMs = opts.idleMs ?? 30_000;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let worker: Worker | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Map<number, Pending>();
  let nextJob = 1;

  function stop(reason?: string): void {
    worker?.terminate();
    worker = undefined;
    clearTimeout(idleTimer);
    for (const [id, job] of pending) {
      pending.delete(id);
      clearTimeout(job.timer);
      job.reject(new Error(`thumbnail worker stopped: ${reason ?? "shutting down"}`));
    }
  }

  function settle(jobId: number): Pending | undefined {
    const job = pending.get(jobId);
    if (!job) return undefined;
    pending.delete(jobId);
    clearTimeout(job.timer);
    if (pending.size === 0) {
      worker?.unref();
      idleTimer = setTimeout(() => stop(), idleMs);
      idleTimer.unref();
    }
    return job;
  }

  function start(): Worker {
    const w = new Worker(WORKER_URL);
    w.onmessage = (event: MessageEvent<FromThumbnailWorker>) => {
      const message = event.data;
      const job = settle(message.jobId);
      if (!job) return;
      if (message.kind === "rendered") {
        job.resolve({ data: message.data, format: message.format, width: message.width, height: message.height });
      } else {
        job.reject(new Error(message.error));
      }
    };
    w.addEventListener("error", (e) => stop((e as ErrorEvent).message));
    return w;
  }

  return {
    render(job: ThumbnailJob): Promise<RenderedThumbnail> {
      clearTimeout(idleTimer);
      worker ??= start();
      worker.ref();
      const jobId = nextJob++;
      return new Promise<RenderedThumbnail>((resolve, reject) => {
        const timer = setTimeout(() => stop(`a thumbnail took longer than ${timeoutMs} ms`), timeoutMs);
        pending.set(jobId, { resolve, reject, timer });
        worker!.postMessage({ ...job, jobId } satisfies ToThumbnailWorker, [job.input.buffer as ArrayBuffer]);
      });
    },
    running: () => worker !== undefined,
    stop: () => stop(),
  };
}
