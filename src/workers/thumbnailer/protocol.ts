/**
 * Messages between the main thread and the thumbnail worker: the picture's bytes (transferred, not
 * copied) with what its header said and the size wanted, and the thumbnail's bytes back.
 */
import type { ImageFormat } from "../../core/media/image-header.ts";
import type { ThumbnailSize } from "../../core/media/thumbnail-sizes.ts";

export interface ThumbnailJob {
  input: Uint8Array;
  format: ImageFormat;
  /** Stored size from the header (before any EXIF rotation). */
  width: number;
  height: number;
  size: ThumbnailSize;
  /** Keep every frame of an animated picture. */
  animated: boolean;
  /** Decoder limit on pixels, a second line behind the header check. */
  maxPixels: number;
}

export interface RenderedThumbnail {
  data: Uint8Array;
  format: ImageFormat;
  width: number;
  height: number;
}

export type ToThumbnailWorker = ThumbnailJob & { jobId: number };

export type FromThumbnailWorker =
  | ({ kind: "rendered"; jobId: number } & RenderedThumbnail)
  | { kind: "failed"; jobId: number; error: string };
