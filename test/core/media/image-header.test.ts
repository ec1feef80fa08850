// Image headers: format, size and animation of every supported kind, read without decoding; bombs
// show their real size; anything else (truncated headers, other formats) is not an image.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { readImageHeader } from "../../../src/core/media/image-header";

const fixture = (name: string) => Bun.file(join(import.meta.dir, "../../fixtures/media", name)).bytes();

test.each([
  ["photo.jpg", "jpeg", 64, 48, false],
  ["progressive.jpg", "jpeg", 64, 48, false],
  ["cmyk.jpg", "jpeg", 64, 48, false],
  ["rotated.jpg", "jpeg", 40, 20, false], // stored size; EXIF orientation is the decoder's business
  ["truncated.jpg", "jpeg", 64, 48, false],
  ["photo.png", "png", 64, 48, false],
  ["deep.png", "png", 30, 20, false],
  ["palette.png", "png", 20, 15, false],
  ["still.gif", "gif", 24, 16, false],
  ["animated.gif", "gif", 24, 16, true],
  ["lossy.webp", "webp", 64, 48, false],
  ["lossless.webp", "webp", 20, 15, false],
  ["animated.webp", "webp", 24, 16, true],
] as const)("%s is %s %dx%d (animated: %p)", async (name, format, width, height, animated) => {
  expect(readImageHeader(await fixture(name))).toEqual({ format, width, height, animated });
});

test("an APNG (acTL before IDAT) is animated", async () => {
  const png = await fixture("palette.png");
  const acTL = new Uint8Array([0, 0, 0, 8, ...new TextEncoder().encode("acTL"), 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
  const apng = new Uint8Array([...png.subarray(0, 33), ...acTL, ...png.subarray(33)]);
  expect(readImageHeader(apng)).toMatchObject({ format: "png", animated: true });
});

test("decompression bombs report their full size from a few bytes", async () => {
  const png = await fixture("palette.png");
  const bomb = png.slice();
  new DataView(bomb.buffer).setUint32(16, 100_000);
  new DataView(bomb.buffer).setUint32(20, 100_000);
  expect(readImageHeader(bomb)).toMatchObject({ width: 100_000, height: 100_000 });
  const gif = (await fixture("still.gif")).slice();
  gif[6] = 0xff; gif[7] = 0xff; gif[8] = 0xff; gif[9] = 0xff;
  expect(readImageHeader(gif)).toMatchObject({ width: 65_535, height: 65_535 });
});

test("other data, other formats and cut headers are not images", async () => {
  expect(readImageHeader(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeNull();
  expect(readImageHeader(new Uint8Array(0))).toBeNull();
  expect(readImageHeader((await fixture("photo.png")).subarray(0, 20))).toBeNull();
  expect(readImageHeader((await fixture("photo.jpg")).subarray(0, 12))).toBeNull();
  const zeroWidth = (await fixture("photo.png")).slice();
  new DataView(zeroWidth.buffer).setUint32(16, 0);
  expect(readImageHeader(zeroWidth)).toBeNull();
});
