/**
 * Which thumbnail answers a request, and the size and decode scale of a generated one. Thumbnails
 * are made only at the configured sizes (Synapse's defaults: 32x32 and 96x96 crop, 320x240,
 * 640x480 and 800x600 scale), so each picture has a handful of thumbnails however many sizes
 * clients ask for; a request gets the smallest configured size at least as large as asked.
 */
import type { ImageFormat } from "./image-header.ts";

export type ThumbnailMethod = "crop" | "scale";

export interface ThumbnailSize {
  width: number;
  height: number;
  method: ThumbnailMethod;
}

export const DEFAULT_THUMBNAIL_SIZES: readonly ThumbnailSize[] = [
  { width: 32, height: 32, method: "crop" },
  { width: 96, height: 96, method: "crop" },
  { width: 320, height: 240, method: "scale" },
  { width: 640, height: 480, method: "scale" },
  { width: 800, height: 600, method: "scale" },
];

/**
 * The configured size that answers `width` x `height` by `method`: the smallest of that method that
 * covers the request, else the largest of that method; a method with no sizes borrows the other's.
 */
export function chooseThumbnailSize(sizes: readonly ThumbnailSize[], width: number, height: number, method: ThumbnailMethod): ThumbnailSize | null {
  const same = sizes.filter((s) => s.method === method);
  const pool = same.length > 0 ? same : [...sizes];
  if (pool.length === 0) return null;
  const byArea = pool.sort((a, b) => a.width * a.height - b.width * b.height);
  return byArea.find((s) => s.width >= width && s.height >= height) ?? byArea.at(-1)!;
}

/**
 * Output size of a thumbnail of a `sourceWidth` x `sourceHeight` picture (already upright).
 * scale: fits inside the box, keeping the aspect ratio. crop: fills the box, then is cut to it.
 * Neither ever enlarges.
 */
export function thumbnailDimensions(sourceWidth: number, sourceHeight: number, size: ThumbnailSize): { width: number; height: number } {
  if (size.method === "scale") {
    const ratio = Math.min(size.width / sourceWidth, size.height / sourceHeight, 1);
    return { width: Math.max(1, Math.round(sourceWidth * ratio)), height: Math.max(1, Math.round(sourceHeight * ratio)) };
  }
  return { width: Math.min(size.width, sourceWidth), height: Math.min(size.height, sourceHeight) };
}

/**
 * The size of the intermediate picture before a crop: scaled to cover the box, keeping the
 * aspect ratio, never enlarged.
 */
export function coverDimensions(sourceWidth: number, sourceHeight: number, size: ThumbnailSize): { width: number; height: number } {
  const ratio = Math.min(Math.max(size.width / sourceWidth, size.height / sourceHeight), 1);
  return { width: Math.max(1, Math.round(sourceWidth * ratio)), height: Math.max(1, Math.round(sourceHeight * ratio)) };
}

/**
 * How much smaller (1, 2, 4 or 8) a JPEG can be decoded and still cover `needWidth` x
 * `needHeight`: libjpeg's DCT scaling makes small thumbnails of big photos cheap.
 */
export function jpegShrink(sourceWidth: number, sourceHeight: number, needWidth: number, needHeight: number): number {
  for (const factor of [8, 4, 2]) {
    if (Math.floor(sourceWidth / factor) >= needWidth && Math.floor(sourceHeight / factor) >= needHeight) return factor;
  }
  return 1;
}

/** Thumbnails of JPEGs are JPEGs; of everything else PNG (keeps transparency); animated ones keep their format. */
export function thumbnailFormat(source: ImageFormat, animated: boolean): ImageFormat {
  if (animated) return source === "webp" ? "webp" : "gif";
  return source === "jpeg" ? "jpeg" : "png";
}
