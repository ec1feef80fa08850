/**
 * Unpadded Base64 (spec appendix "Unpadded Base64"): what Matrix uses for keys, signatures,
 * hashes and event ids. Decoding accepts padded and unpadded input, as the spec asks, but nothing
 * else: no whitespace, no characters of the other alphabet.
 */

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

export function encodeBase64(bytes: Uint8Array): string {
  return bytes.toBase64({ omitPadding: true });
}

/** RFC 4648 url-safe alphabet (`-`, `_`), unpadded: event ids since room version 4. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Decodes standard Base64; throws `Base64Error` on anything malformed. */
export function decodeBase64(text: string): Uint8Array {
  return decode(text, STANDARD, "base64");
}

export function decodeBase64Url(text: string): Uint8Array {
  return decode(text, URL_SAFE, "base64url");
}

export class Base64Error extends Error {
  override readonly name = "Base64Error";
}

function decode(text: string, shape: RegExp, alphabet: "base64" | "base64url"): Uint8Array {
  if (!shape.test(text)) throw new Base64Error(`not ${alphabet}`);
  try {
    return Uint8Array.fromBase64(text, { alphabet, lastChunkHandling: "loose" });
  } catch {
    throw new Base64Error(`${alphabet} of impossible length or padding`);
  }
}
