// The thumbnail worker renders every supported kind of picture at the configured sizes (upright,
// sRGB, never enlarged, animated on request), fails cleanly on what it cannot read, stops when
// idle and when a job runs too long, and starts again for the next job.
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { readImageHeader } from "../../src/core/media/image-header";
import type { ThumbnailSize } from "../../src/core/media/thumbnail-sizes";
import { createThumbnailer } from "../../src/workers/thumbnailer/pool";

const thumbnailer = createThumbnailer({ idleMs: 200 });
afterAll(() => thumbnailer.stop());

const fixture = (name: string) => Bun.file(join(import.meta.dir, "../fixtures/media", name)).bytes();
const crop32: ThumbnailSize = { width: 32, height: 32, method: "crop" };
const scale320: ThumbnailSize = { width: 320, height: 240, method: "scale" };
const scale16: ThumbnailSize = { width: 16, height: 16, method: "scale" };

async function render(name: string, size: ThumbnailSize, animated = false) {
  const input = await fixture(name);
  const header = readImageHeader(input)!;
  const out = await thumbnailer.render({ input, format: header.format, width: header.width, height: header.height, size, animated, maxPixels: 32_000_000 });
  return { ...out, header: readImageHeader(out.data) };
}

/** Colour components of a JPEG's frame header: 3 for sRGB, 4 for CMYK. */
function jpegComponents(b: Uint8Array): number {
  for (let i = 2; i < b.length; ) {
    const marker = b[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xc2) return b[i + 9]!;
    i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  return 0;
}

test.each([
  ["photo.jpg", "jpeg", 32, 32],
  ["progressive.jpg", "jpeg", 32, 32],
  ["truncated.jpg", "jpeg", 32, 32],
  ["photo.png", "png", 32, 32],
  ["deep.png", "png", 30, 20], // smaller than the box: never enlarged
  ["palette.png", "png", 20, 15],
  ["still.gif", "png", 24, 16],
  ["lossy.webp", "png", 32, 32],
  ["lossless.webp", "png", 20, 15],
] as const)("%s: a 32x32 crop is %s %dx%d", async (name, format, width, height) => {
  const out = await render(name, crop32);
  expect(out.format).toBe(format);
  expect(out.header).toMatchObject({ format, width: Math.min(width, 32), height: Math.min(height, 32) });
  expect([out.width, out.height]).toEqual([out.header!.width, out.header!.height]);
}, 60_000);

test("scale keeps the aspect ratio and never enlarges", async () => {
  expect((await render("photo.jpg", scale16)).header).toMatchObject({ width: 16, height: 12 });
  expect((await render("photo.jpg", scale320)).header).toMatchObject({ width: 64, height: 48 });
}, 60_000);

test("EXIF orientation is applied: a 40x20 picture tagged 'rotate 90' becomes 20x40", async () => {
  expect((await render("rotated.jpg", scale320)).header).toMatchObject({ format: "jpeg", width: 20, height: 40 });
}, 60_000);

test("a CMYK JPEG becomes an sRGB thumbnail", async () => {
  expect(jpegComponents(await fixture("cmyk.jpg"))).toBe(4);
  expect(jpegComponents((await render("cmyk.jpg", crop32)).data)).toBe(3);
}, 60_000);

test("animated GIF and WebP stay animated when asked, and give their first frame otherwise", async () => {
  expect((await render("animated.gif", scale16, true)).header).toMatchObject({ format: "gif", animated: true, width: 16 });
  expect((await render("animated.webp", scale16, true)).header).toMatchObject({ format: "webp", animated: true, width: 16 });
  expect((await render("animated.gif", scale16)).header).toMatchObject({ format: "png", animated: false });
}, 60_000);

test("a picture over the pixel limit is refused by the decoder as well", async () => {
  const input = await fixture("photo.png");
  const job = { input, format: "png" as const, width: 64, height: 48, size: crop32, animated: false, maxPixels: 1_000 };
  await expect(thumbnailer.render(job)).rejects.toThrow();
}, 60_000);

test("data that is not what the header said fails cleanly, and the worker goes on", async () => {
  const job = { input: new TextEncoder().encode("not a png at all"), format: "png" as const, width: 1, height: 1, size: crop32, animated: false, maxPixels: 1_000 };
  await expect(thumbnailer.render(job)).rejects.toThrow();
  expect((await render("photo.jpg", crop32)).format).toBe("jpeg");
}, 60_000);

test("the worker stops when idle and starts again for the next job", async () => {
  await render("photo.jpg", crop32);
  for (let i = 0; i < 500 && thumbnailer.running(); i++) await Bun.sleep(10);
  expect(thumbnailer.running()).toBe(false);
  expect((await render("photo.png", crop32)).format).toBe("png");
}, 60_000);

test("a job that runs past the timeout stops the worker and fails", async () => {
  const impatient = createThumbnailer({ timeoutMs: 1 });
  const input = await fixture("photo.jpg");
  const job = { input, format: "jpeg" as const, width: 64, height: 48, size: crop32, animated: false, maxPixels: 1_000_000 };
  await expect(impatient.render(job)).rejects.toThrow("longer than 1 ms");
  expect(impatient.running()).toBe(false);
}, 60_000);
