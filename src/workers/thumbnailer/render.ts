/**
 * Thumbnails with ImageMagick compiled to WebAssembly (chosen by measurement, see docs/media.md):
 * it decodes JPEG (CMYK, progressive, truncated), PNG (16-bit, palette), GIF and WebP, animated or
 * not, and runs inside the single executable. Each picture is read with its coder named, so
 * ImageMagick never guesses a format (and none of its other coders is reachable), rotated upright
 * by its EXIF orientation, converted to sRGB and stripped of metadata (no location leaks).
 */
import {
  ColorSpace,
  Gravity,
  ImageMagick,
  initializeImageMagick,
  MagickFormat,
  MagickGeometry,
  MagickReadSettings,
  ResourceLimits,
  type IMagickImage,
} from "@imagemagick/magick-wasm";
import wasmPath from "@imagemagick/magick-wasm/magick.wasm" with { type: "file" };
import type { ImageFormat } from "../../core/media/image-header.ts";
import {
  coverDimensions,
  jpegShrink,
  thumbnailDimensions,
  thumbnailFormat,
  type ThumbnailSize,
} from "../../core/media/thumbnail-sizes.ts";
import type { RenderedThumbnail, ThumbnailJob } from "../../core/media/thumbnail-job.ts";

const CODERS = {
  jpeg: MagickFormat.Jpeg,
  png: MagickFormat.Png,
  gif: MagickFormat.Gif,
  webp: MagickFormat.WebP,
} as const satisfies Record<ImageFormat, MagickFormat>;

const JPEG_QUALITY = 80;

let loaded: Promise<void> | undefined;

/** Compiles the WebAssembly module once per worker (about 2 s and 100 MB). */
export function loadImageMagick(): Promise<void> {
  loaded ??= Bun.file(wasmPath).bytes().then((wasm) => initializeImageMagick(wasm));
  return loaded;
}

/** Scales (and for crop, cuts) one upright frame in place. */
function fit(image: IMagickImage, size: ThumbnailSize): void {
  if (size.method === "scale") {
    const out = thumbnailDimensions(image.width, image.height, size);
    if (out.width !== image.width || out.height !== image.height) image.thumbnail(out.width, out.height);
    return;
  }
  const cover = coverDimensions(image.width, image.height, size);
  if (cover.width !== image.width || cover.height !== image.height) image.thumbnail(cover.width, cover.height);
  const out = thumbnailDimensions(image.width, image.height, size);
  image.crop(new MagickGeometry(out.width, out.height), Gravity.Center);
  image.resetPage();
}

function prepare(image: IMagickImage): void {
  image.autoOrient();
  if (image.colorSpace !== ColorSpace.sRGB && image.colorSpace !== ColorSpace.Gray) image.colorSpace = ColorSpace.sRGB;
  image.strip();
}

function renderStill(job: ThumbnailJob): RenderedThumbnail {
  const settings = new MagickReadSettings({ format: CODERS[job.format], frameIndex: 0, frameCount: 1 });
  if (job.format === "jpeg") {
    // Orientation is not known before reading: ask the larger side in both directions.
    const need = job.size.method === "crop" ? coverDimensions(job.width, job.height, job.size) : thumbnailDimensions(job.width, job.height, job.size);
    const side = Math.max(need.width, need.height);
    const shrink = jpegShrink(job.width, job.height, side, side);
    if (shrink > 1) settings.setDefine(MagickFormat.Jpeg, "size", `${Math.ceil(job.width / shrink)}x${Math.ceil(job.height / shrink)}`);
  }
  const format = thumbnailFormat(job.format, false);
  return ImageMagick.read(job.input, settings, (image) => {
    prepare(image);
    fit(image, job.size);
    if (format === "jpeg") image.quality = JPEG_QUALITY;
    const { width, height } = image;
    return image.write(CODERS[format], (data) => ({ data: new Uint8Array(data), format, width, height }));
  });
}

function renderAnimated(job: ThumbnailJob): RenderedThumbnail {
  const format = thumbnailFormat(job.format, true);
  return ImageMagick.readCollection(job.input, new MagickReadSettings({ format: CODERS[job.format] }), (frames) => {
    frames.coalesce();
    for (const frame of frames) {
      prepare(frame);
      fit(frame, job.size);
    }
    const { width, height } = frames[0]!;
    return frames.write(CODERS[format], (data) => ({ data: new Uint8Array(data), format, width, height }));
  });
}

export async function renderThumbnail(job: ThumbnailJob): Promise<RenderedThumbnail> {
  await loadImageMagick();
  // Past `area` pixels ImageMagick would spill to a disk cache; with no disk allowed it fails instead.
  ResourceLimits.disk = 0n;
  ResourceLimits.area = BigInt(job.maxPixels);
  return job.animated ? renderAnimated(job) : renderStill(job);
}
