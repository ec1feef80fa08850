/**
 * Signing and checking JSON objects (spec appendix "Signing JSON"): the signature covers the
 * canonical JSON of the object without `signatures` and `unsigned`, and is filed under
 * `signatures[serverName][keyId]` as unpadded Base64.
 */

import { isJsonObject, type Signatures } from "../types.ts";
import { canonicalJson } from "../json/canonical-json.ts";
import { signEd25519, verifyEd25519 } from "../crypto/ed25519.ts";
import { decodeBase64, encodeBase64 } from "../encoding/base64.ts";

/** The bytes a signature covers: canonical JSON without `signatures` and `unsigned`. */
export function signedBytesOf(object: Readonly<Record<string, unknown>>): string {
  const { signatures: _signatures, unsigned: _unsigned, ...covered } = object;
  return canonicalJson(covered);
}

/** A copy of `object` with our signature added; other signatures and `unsigned` are kept. */
export function signJson<T extends Readonly<Record<string, unknown>>>(
  object: T,
  serverName: string,
  keyId: string,
  seed: Uint8Array,
): T & { signatures: Signatures } {
  const signature = encodeBase64(signEd25519(signedBytesOf(object), seed));
  return { ...object, signatures: withSignature(object.signatures, serverName, keyId, signature) };
}

/** `existing` (when it is a signatures object) plus one more signature, without mutating it. */
export function withSignature(existing: unknown, serverName: string, keyId: string, signature: string): Signatures {
  const signatures = isJsonObject(existing) ? (existing as Signatures) : {};
  const ours = Object.hasOwn(signatures, serverName) ? signatures[serverName] : undefined;
  // Literals with computed keys define own properties: a `__proto__` name stays plain data.
  return { ...signatures, [serverName]: { ...(isJsonObject(ours) ? ours : {}), [keyId]: signature } };
}

/** True when `signatures[serverName][keyId]` is a valid signature by `publicKey`; never throws. */
export function verifyJsonSignature(
  object: unknown,
  serverName: string,
  keyId: string,
  publicKey: Uint8Array,
): boolean {
  if (!isJsonObject(object)) return false;
  const signatures = object.signatures;
  if (!isJsonObject(signatures)) return false;
  const byServer = Object.hasOwn(signatures, serverName) ? signatures[serverName] : undefined;
  if (!isJsonObject(byServer) || !Object.hasOwn(byServer, keyId)) return false;
  const encoded = byServer[keyId];
  if (typeof encoded !== "string") return false;
  try {
    return verifyEd25519(decodeBase64(encoded), signedBytesOf(object), publicKey);
  } catch {
    return false; // bad Base64, or an object canonical JSON cannot carry
  }
}
