/**
 * What a thumbnail renderer is given and gives back: the picture's bytes with what its header
 * said and the size wanted, and the thumbnail's bytes. The renderer itself (ImageMagick in a worker
 * thread) lives in `workers/thumbnailer/`; services see only these shapes.
 */
import type { ImageFormat } from "./image-header.ts";
import type { ThumbnailSize } from "./thumbnail-sizes.ts";

export interface ThumbnailJob {
  /** The picture; transferred to the renderer, so unusable by the caller afterwards. */
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
