/**
 * Application service registrations (spec "Application Service API", Registration): checks a parsed
 * registration document and turns it into the shape the server uses. The check names the first bad
 * field (`namespaces.users[0].regex`) so whoever wrote the file can find it. Keys the spec does not
 * define are ignored: bridges carry vendor keys, and the unstable ones we read are listed here.
 */
import { MAX_ID_BYTES, utf8Length } from "../ids.ts";
import { errorMessage } from "../error-message.ts";

export interface Namespace {
  regex: string;
  exclusive: boolean;
}

export type NamespaceKind = "users" | "aliases" | "rooms";
export const NAMESPACE_KINDS: readonly NamespaceKind[] = ["users", "aliases", "rooms"];

export interface Registration {
  id: string;
  /** Where the homeserver sends transactions and queries; null: the appservice receives nothing. */
  url: string | null;
  asToken: string;
  hsToken: string;
  senderLocalpart: string;
  namespaces: Record<NamespaceKind, Namespace[]>;
  /** Whether requests of masqueraded users are rate-limited (default true; the sender never is). */
  rateLimited: boolean;
  /** `receive_ephemeral` (since v1.13): typing, receipts and presence in transactions. */
  receiveEphemeral: boolean;
  /** `de.sorunome.msc2409.push_ephemeral`: the same, under MSC2409's unstable transaction key. */
  unstableEphemeral: boolean;
  /** `org.matrix.msc3202`: device list changes and one-time key counts in transactions. */
  deviceData: boolean;
  protocols: string[];
}

export type RegistrationCheck =
  | { ok: true; registration: Registration }
  | { ok: false; field: string; problem: string };

/**
 * Localparts of an appservice's users (its sender and the users it registers): the current user
 * id grammar plus capital letters, which the historical grammar allows and which bridges put in
 * the localparts they generate.
 */
const APPSERVICE_LOCALPART = /^[A-Za-z0-9._=\-/+]+$/;

export function isAppserviceLocalpart(localpart: string): boolean {
  return APPSERVICE_LOCALPART.test(localpart);
}

class FieldProblem {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {}
}

type Doc = Record<string, unknown>;

function isObject(value: unknown): value is Doc {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `"${value}"`;
  return `${typeof value} ${String(value)}`;
}

/** `doc[key]` as a non-empty string; `at` is where `doc` sits in the document (`namespaces.users[0].`). */
function requiredString(doc: Doc, key: string, at = ""): string {
  const value = doc[key];
  const field = at + key;
  if (value === undefined) throw new FieldProblem(field, "is missing");
  // A token written as 0123e4 or 1234 reads as a number in YAML: say how to keep it text.
  if (typeof value !== "string") {
    const hint = typeof value === "number" || typeof value === "boolean" ? " (quote it)" : "";
    throw new FieldProblem(field, `is ${describe(value)}, but it must be a string${hint}`);
  }
  if (value === "") throw new FieldProblem(field, "is empty");
  return value;
}

function optionalBoolean(doc: Doc, field: string, fallback: boolean): boolean {
  const value = doc[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw new FieldProblem(field, `is ${describe(value)}, but it must be true or false`);
  return value;
}

/** `url` must be present: a string, or null to say on purpose that nothing is sent. */
function checkUrl(doc: Doc): string | null {
  if (!("url" in doc) || doc.url === undefined) throw new FieldProblem("url", "is missing (write url: null if the appservice takes no traffic)");
  if (doc.url === null) return null;
  if (typeof doc.url !== "string") throw new FieldProblem("url", `is ${describe(doc.url)}, but it must be a URL or null`);
  let parsed: URL;
  try {
    parsed = new URL(doc.url);
  } catch {
    throw new FieldProblem("url", `is "${doc.url}", which is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new FieldProblem("url", `is "${doc.url}", but it must be an http or https URL`);
  }
  // Request paths are appended to it: one trailing slash would make them `//_matrix/...`.
  return doc.url.replace(/\/+$/, "");
}

/** A namespace regex compiled the way `compileNamespace` will use it, so a bad one fails here. */
function checkRegex(regex: string, field: string): void {
  try {
    new RegExp(regex);
  } catch (e) {
    throw new FieldProblem(field, `is not a valid regular expression: ${errorMessage(e)}`);
  }
}

function checkNamespaces(doc: Doc): Record<NamespaceKind, Namespace[]> {
  const namespaces = doc.namespaces;
  if (namespaces === undefined) throw new FieldProblem("namespaces", "is missing");
  if (!isObject(namespaces)) throw new FieldProblem("namespaces", `is ${describe(namespaces)}, but it must be a mapping of users, aliases and rooms`);
  const out: Record<NamespaceKind, Namespace[]> = { users: [], aliases: [], rooms: [] };
  for (const kind of NAMESPACE_KINDS) {
    const list = namespaces[kind];
    if (list === undefined || list === null) continue;
    const field = `namespaces.${kind}`;
    if (!Array.isArray(list)) throw new FieldProblem(field, `is ${describe(list)}, but it must be a list`);
    list.forEach((entry: unknown, i) => {
      const at = `${field}[${i}]`;
      if (!isObject(entry)) throw new FieldProblem(at, `is ${describe(entry)}, but it must be a mapping with regex and exclusive`);
      const regex = requiredString(entry, "regex", `${at}.`);
      checkRegex(regex, `${at}.regex`);
      if (typeof entry.exclusive !== "boolean") {
        throw new FieldProblem(`${at}.exclusive`, entry.exclusive === undefined ? "is missing" : `is ${describe(entry.exclusive)}, but it must be true or false`);
      }
      out[kind].push({ regex, exclusive: entry.exclusive });
    });
  }
  return out;
}

function checkProtocols(doc: Doc): string[] {
  const protocols = doc.protocols;
  if (protocols === undefined || protocols === null) return [];
  if (!Array.isArray(protocols)) throw new FieldProblem("protocols", `is ${describe(protocols)}, but it must be a list of strings`);
  protocols.forEach((p: unknown, i) => {
    if (typeof p !== "string" || p === "") throw new FieldProblem(`protocols[${i}]`, `is ${describe(p)}, but it must be a non-empty string`);
  });
  return protocols as string[];
}

function build(doc: unknown, serverName: string): Registration {
  if (!isObject(doc)) throw new FieldProblem("(document)", `is ${describe(doc)}, but a registration is a mapping of keys`);
  const id = requiredString(doc, "id");
  const asToken = requiredString(doc, "as_token");
  const hsToken = requiredString(doc, "hs_token");
  const senderLocalpart = requiredString(doc, "sender_localpart");
  if (!isAppserviceLocalpart(senderLocalpart)) {
    throw new FieldProblem("sender_localpart", `is "${senderLocalpart}", but it may hold only letters, digits and . _ = - / +`);
  }
  if (utf8Length(`@${senderLocalpart}:${serverName}`) > MAX_ID_BYTES) {
    throw new FieldProblem("sender_localpart", `makes a user id longer than ${MAX_ID_BYTES} bytes`);
  }
  const url = checkUrl(doc);
  const namespaces = checkNamespaces(doc);
  return {
    id,
    url,
    asToken,
    hsToken,
    senderLocalpart,
    namespaces,
    rateLimited: optionalBoolean(doc, "rate_limited", true),
    receiveEphemeral: optionalBoolean(doc, "receive_ephemeral", false),
    unstableEphemeral: optionalBoolean(doc, "de.sorunome.msc2409.push_ephemeral", false),
    deviceData: optionalBoolean(doc, "org.matrix.msc3202", false),
    protocols: checkProtocols(doc),
  };
}

/** Checks a registration document (parsed YAML or JSON); `serverName` bounds the sender's user id. */
export function checkRegistration(doc: unknown, serverName: string): RegistrationCheck {
  try {
    return { ok: true, registration: build(doc, serverName) };
  } catch (e) {
    if (e instanceof FieldProblem) return { ok: false, field: e.field, problem: e.problem };
    throw e;
  }
}

/** What makes two registrations unable to live on one server: the spec's unique `id` and `as_token`. */
export function registrationClash(a: Registration, b: Registration): "id" | "as_token" | null {
  if (a.id === b.id) return "id";
  if (a.asToken === b.asToken) return "as_token";
  return null;
}
