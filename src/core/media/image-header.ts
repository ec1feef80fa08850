/**
 * Format, size and frame count of a JPEG, PNG, GIF or WebP read from its header alone, so a
 * decompression bomb (a small file that decodes to billions of pixels) is refused before any
 * decoder sees it. Anything else, or a header that does not parse, is not an image we thumbnail.
 */

export type ImageFormat = "jpeg" | "png" | "gif" | "webp";

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** More than one frame (animated GIF, APNG, animated WebP). */
  animated: boolean;
}

export const IMAGE_CONTENT_TYPES: Record<ImageFormat, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
};

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
const u32le = (b: Uint8Array, i: number) => b[i]! + (b[i + 1]! << 8) + (b[i + 2]! << 16) + ((b[i + 3]! << 24) >>> 0);
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

export function readImageHeader(b: Uint8Array): ImageHeader | null {
  if (b.length < 12) return null;
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpeg(b);
  if (u32be(b, 0) === 0x89504e47 && u32be(b, 4) === 0x0d0a1a0a) return png(b);
  if (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a") return gif(b);
  if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") return webp(b);
  return null;
}

const sized = (format: ImageFormat, width: number, height: number, animated = false): ImageHeader | null =>
  width > 0 && height > 0 ? { format, width, height, animated } : null;

// JPEG: markers from SOI; the first start-of-frame segment (SOF0-15 except DHT, JPG, DAC) has the size.
function jpeg(b: Uint8Array): ImageHeader | null {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    const length = u16be(b, i + 2);
    if (length < 2) return null;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return sized("jpeg", u16be(b, i + 7), u16be(b, i + 5));
    }
    if (marker === 0xd9 || marker === 0xda) return null; // image data before any frame header
    i += 2 + length;
  }
  return null;
}

// PNG: IHDR comes first; an acTL chunk before the first IDAT makes it an APNG.
function png(b: Uint8Array): ImageHeader | null {
  if (ascii(b, 12, 4) !== "IHDR" || b.length < 24) return null;
  const width = u32be(b, 16);
  const height = u32be(b, 20);
  let animated = false;
  for (let i = 8; i + 8 <= b.length; ) {
    const type = ascii(b, i + 4, 4);
    if (type === "IDAT") break;
    if (type === "acTL") animated = b.length >= i + 12 && u32be(b, i + 8) > 1;
    i += 12 + u32be(b, i);
  }
  return sized("png", width, height, animated);
}

// GIF: the logical screen holds every frame; frames are counted by walking the blocks.
function gif(b: Uint8Array): ImageHeader | null {
  const width = u16le(b, 6);
  const height = u16le(b, 8);
  let i = 13 + (b[10]! & 0x80 ? 3 * (1 << ((b[10]! & 7) + 1)) : 0);
  let frames = 0;
  const skipSubBlocks = () => {
    while (i < b.length && b[i] !== 0) i += b[i]! + 1;
    i++;
  };
  while (i < b.length && frames < 2) {
    const block = b[i]!;
    if (block === 0x21) {
      i += 2;
      skipSubBlocks();
    } else if (block === 0x2c) {
      frames++;
      const packed = b[i + 9] ?? 0;
      i += 10 + (packed & 0x80 ? 3 * (1 << ((packed & 7) + 1)) : 0) + 1; // descriptor, local table, LZW size
      skipSubBlocks();
    } else {
      break; // trailer or garbage
    }
  }
  return sized("gif", width, height, frames > 1);
}

// WebP: a simple lossy (VP8) or lossless (VP8L) image, or an extended one (VP8X) with a canvas size.
function webp(b: Uint8Array): ImageHeader | null {
  const chunk = ascii(b, 12, 4);
  if (chunk === "VP8X" && b.length >= 30) {
    return sized("webp", u24le(b, 24) + 1, u24le(b, 27) + 1, (b[20]! & 0x02) !== 0);
  }
  if (chunk === "VP8 " && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return sized("webp", u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
  }
  if (chunk === "VP8L" && b.length >= 25 && b[20] === 0x2f) {
    const bits = u32le(b, 21);
    return sized("webp", (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  return null;
}
