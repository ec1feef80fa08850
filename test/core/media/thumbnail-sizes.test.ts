// Thumbnail sizes: a request gets the smallest configured size that covers it (else the largest),
// outputs never enlarge, crops cover then cut, and JPEG decode scaling never undershoots.
import { expect, test } from "bun:test";
import {
  chooseThumbnailSize,
  coverDimensions,
  DEFAULT_THUMBNAIL_SIZES as sizes,
  jpegShrink,
  thumbnailDimensions,
  thumbnailFormat,
} from "../../../src/core/media/thumbnail-sizes";

test("the smallest configured size of the method that covers the request answers it", () => {
  expect(chooseThumbnailSize(sizes, 32, 32, "crop")).toEqual({ width: 32, height: 32, method: "crop" });
  expect(chooseThumbnailSize(sizes, 40, 40, "crop")).toEqual({ width: 96, height: 96, method: "crop" });
  expect(chooseThumbnailSize(sizes, 500, 500, "crop")).toEqual({ width: 96, height: 96, method: "crop" });
  expect(chooseThumbnailSize(sizes, 100, 100, "scale")).toEqual({ width: 320, height: 240, method: "scale" });
  expect(chooseThumbnailSize(sizes, 640, 300, "scale")).toEqual({ width: 640, height: 480, method: "scale" });
  expect(chooseThumbnailSize(sizes, 4000, 4000, "scale")).toEqual({ width: 800, height: 600, method: "scale" });
  const cropOnly = sizes.filter((s) => s.method === "crop");
  expect(chooseThumbnailSize(cropOnly, 300, 200, "scale")).toEqual({ width: 96, height: 96, method: "crop" });
  expect(chooseThumbnailSize([], 1, 1, "scale")).toBeNull();
});

test("scale fits inside, crop fills then cuts, and neither enlarges", () => {
  expect(thumbnailDimensions(2000, 1500, { width: 320, height: 240, method: "scale" })).toEqual({ width: 320, height: 240 });
  expect(thumbnailDimensions(1000, 2000, { width: 320, height: 240, method: "scale" })).toEqual({ width: 120, height: 240 });
  expect(thumbnailDimensions(100, 50, { width: 320, height: 240, method: "scale" })).toEqual({ width: 100, height: 50 });
  expect(thumbnailDimensions(2000, 1500, { width: 96, height: 96, method: "crop" })).toEqual({ width: 96, height: 96 });
  expect(thumbnailDimensions(50, 200, { width: 96, height: 96, method: "crop" })).toEqual({ width: 50, height: 96 });
  expect(coverDimensions(2000, 1500, { width: 96, height: 96, method: "crop" })).toEqual({ width: 128, height: 96 });
  expect(coverDimensions(50, 40, { width: 96, height: 96, method: "crop" })).toEqual({ width: 50, height: 40 });
  expect(thumbnailDimensions(10_000, 1, { width: 320, height: 240, method: "scale" })).toEqual({ width: 320, height: 1 });
});

test("JPEG decode scaling is the largest power of two that still covers the need", () => {
  expect(jpegShrink(2000, 1500, 320, 240)).toBe(4);
  expect(jpegShrink(2000, 1500, 96, 96)).toBe(8);
  expect(jpegShrink(2000, 1500, 800, 800)).toBe(1);
  expect(jpegShrink(2000, 1500, 1000, 750)).toBe(2);
  expect(jpegShrink(64, 48, 32, 32)).toBe(1);
});

test("thumbnails of JPEGs are JPEGs, of everything else PNG, and animated ones GIF or WebP", () => {
  expect(thumbnailFormat("jpeg", false)).toBe("jpeg");
  expect(thumbnailFormat("webp", false)).toBe("png");
  expect(thumbnailFormat("gif", false)).toBe("png");
  expect(thumbnailFormat("gif", true)).toBe("gif");
  expect(thumbnailFormat("webp", true)).toBe("webp");
});
