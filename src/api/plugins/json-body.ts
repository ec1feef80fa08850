/**
 * Request bodies: refuse anything over `max_request_size` (413 `M_TOO_LARGE`): at once when the
 * declared length is too big, and while reading a body sent without one, so an oversized body is
 * never held in memory. Then parse JSON strictly, so that what we store and sign is exactly what
 * the client meant. Text that is not JSON at all (or not UTF-8) is 400 `M_NOT_JSON`; JSON that
 * Matrix forbids (lone surrogates, duplicate keys, deep nesting) is 400 `M_BAD_JSON`. Numbers are
 * judged by where they go (`leniencyOf`): federation bodies carry PDUs, so only canonical integers
 * pass, except in transactions, judged PDU by PDU; client bodies may hold any number (a tag's
 * `order` is a float), and an event built from one is refused by the event builder when canonical
 * JSON cannot encode it.
 */
import { Elysia } from "elysia";
import { isJsonObject, JsonError, NonCanonicalNumberError, parseJson, type JsonValue } from "../../core";
import { badJson, notJson, tooLarge } from "../../services/matrix-error";
import { pathOf } from "./request-log";

const JSON_LABELS = ["application/json", "text/plain", "application/x-www-form-urlencoded"];

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** `/_matrix/media/...`: upload and create requests, whose bodies the media routes read themselves. */
const isMediaPath = (url: string) => pathOf(url).startsWith("/_matrix/media/");
/** What `body` holds on those routes: nothing was parsed. */
const UNREAD = Object.freeze({});

/**
 * Clients may send any number; so may a peer's transaction (`/send`), whose PDUs are judged one by
 * one (room versions 6+ refuse a non-canonical one, the others are kept): one bad PDU must not
 * lose the others. Every other federation body is one PDU or key document, canonical or refused.
 */
const isTransaction = (path: string) => path.startsWith("/_matrix/federation/v1/send/");
const leniencyOf = (path: string): "any" | "canonical" => (path.startsWith("/_matrix/client/") || isTransaction(path) ? "any" : "canonical");

/**
 * Parses canonically first, so a lenient body that is canonical anyway (nearly all) is marked as
 * such: event routes refuse `1.0` or `1e3` for rooms that allow only canonical JSON (v6+), which
 * a lenient parse alone would quietly turn into integers.
 */
function parseBody(request: Request, text: string, numbers: "any" | "canonical"): JsonValue {
  if (numbers === "canonical") return parseJson(text);
  try {
    return parseJson(text);
  } catch (e) {
    if (!(e instanceof NonCanonicalNumberError)) throw e;
    nonCanonicalBodies.add(request);
    return parseJson(text, { numbers: "any" });
  }
}

const emptyBodies = new WeakSet<Request>();
const nonCanonicalBodies = new WeakSet<Request>();
/** The request came with no body, or only whitespace (`body` then reads `{}`). */
export const hadEmptyBody = (request: Request): boolean => emptyBodies.has(request);
/** The body held numbers canonical JSON cannot carry (floats, exponents, -0, beyond ±(2^53-1)). */
export const hadNonCanonicalNumbers = (request: Request): boolean => nonCanonicalBodies.has(request);

/** Transaction bodies as received: their X-Matrix signature covers these bytes when canonical JSON cannot re-encode them. */
const transactionTexts = new WeakMap<Request, string>();
export const receivedText = (request: Request): string | undefined => transactionTexts.get(request);

async function readText(request: Request, maxBytes: number): Promise<string> {
  let bytes: Uint8Array;
  if (request.headers.has("content-length")) {
    // The declared length was checked on arrival, and the body is exactly that long: read it whole
    // (a JS stream per request costs more than the rest of a small request's parsing).
    bytes = await request.bytes();
  } else {
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (request.body) {
      for await (const chunk of request.body) {
        total += chunk.byteLength;
        if (total > maxBytes) throw tooLarge(`Request body exceeds ${maxBytes} bytes`);
        chunks.push(chunk);
      }
    }
    bytes = Buffer.concat(chunks, total);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw notJson("Request body is not valid UTF-8");
  }
}

export const jsonBody = (maxBytes: number) =>
  new Elysia({ name: "json-body" })
    .onRequest(({ request }) => {
      // GET and HEAD bodies are never read; leaving their headers untouched keeps them cheap.
      if (request.method === "GET" || request.method === "HEAD") return;
      if (isMediaPath(request.url)) return; // uploads: max_upload_size, checked while they stream
      const length = Number(request.headers.get("content-length") ?? 0);
      if (length > maxBytes) throw tooLarge(`Request body exceeds ${maxBytes} bytes`);
    })
    .onParse({ as: "global" }, async ({ request, contentType }) => {
      // Uploads stream to disk from the route: the body is left unread here, whatever its type.
      if (isMediaPath(request.url)) return UNREAD;
      // Media uploads (binary bodies) are read by their own routes. Like Synapse, take JSON from
      // clients that label it loosely (curl's default form type, text/plain, none at all).
      if (contentType && !JSON_LABELS.some((label) => contentType.startsWith(label))) return;
      const text = await readText(request, maxBytes);
      if (text.trim() === "") {
        emptyBodies.add(request);
        return {};
      }
      const path = pathOf(request.url);
      if (isTransaction(path)) transactionTexts.set(request, text);
      let value: JsonValue;
      try {
        value = parseBody(request, text, leniencyOf(path));
      } catch (e) {
        if (!(e instanceof JsonError)) throw e;
        throw e.code === "not-json" ? notJson(`Request body is not valid JSON: ${e.message}`) : badJson(`Request body: ${e.message}`);
      }
      // Every JSON body of the client, server and key APIs is an object (as Synapse requires).
      if (!isJsonObject(value)) throw badJson("The request body must be a JSON object");
      return value;
    })
    .as("global");
