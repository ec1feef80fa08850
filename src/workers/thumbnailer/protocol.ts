/**
 * Messages between the main thread and the thumbnail worker: a job (its picture's bytes
 * transferred, not copied) and the thumbnail's bytes back.
 */
import type { RenderedThumbnail, ThumbnailJob } from "../../core/media/thumbnail-job.ts";

export type ToThumbnailWorker = ThumbnailJob & { jobId: number };

export type FromThumbnailWorker =
  | ({ kind: "rendered"; jobId: number } & RenderedThumbnail)
  | { kind: "failed"; jobId: number; error: string };
