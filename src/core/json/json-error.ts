/**
 * The one error type of the JSON layer. `code` tells the API layer which Matrix error to answer
 * with: text that is not JSON at all (`not-json` -> M_NOT_JSON), JSON that Matrix forbids
 * (`bad-json` -> M_BAD_JSON: floats, out-of-range integers, lone surrogates, duplicate keys, too
 * deep), or a value our own code tried to encode that canonical JSON cannot carry (`unencodable`,
 * a programming error on our side).
 */

export type JsonErrorCode = "not-json" | "bad-json" | "unencodable";

export class JsonError extends Error {
  override readonly name = "JsonError";
  readonly code: JsonErrorCode;
  /** Character offset in the parsed text, when the problem has one. */
  readonly position: number | undefined;

  constructor(code: JsonErrorCode, message: string, position?: number) {
    super(position === undefined ? message : `${message} at position ${position}`);
    this.code = code;
    this.position = position;
  }
}

/** `bad-json` for a number canonical JSON cannot carry (`1.0`, `1e3`, `-0`, beyond ±(2^53-1)). */
export class NonCanonicalNumberError extends JsonError {
  constructor(message: string, position: number) {
    super("bad-json", message, position);
  }
}

/**
 * Deepest nesting of objects and arrays we accept or emit. A 64 KiB PDU could otherwise nest
 * tens of thousands of levels and blow the stack of any recursive walk.
 */
export const MAX_JSON_DEPTH = 128;
