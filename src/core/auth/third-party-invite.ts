/**
 * Rule 5.3.1 (v3+ numbering): an invite that redeems a third-party invite. The `signed` block must
 * name the invited user and the token of an `m.room.third_party_invite` sent by the same sender,
 * and carry a signature made with one of that event's public keys.
 */
import { Base64Error, decodeBase64, decodeBase64Url } from "../encoding/base64.ts";
import { verifyJsonSignature } from "../signing/json-signatures.ts";
import type { JsonObject, JsonValue, Pdu } from "../types.ts";
import { isJsonObject } from "../types.ts";
import type { AuthEventMap } from "./auth-event-map.ts";
import { stateEvent } from "./auth-event-map.ts";
import type { AuthResult } from "./auth-result.ts";
import { ALLOWED, reject } from "./auth-result.ts";

export function checkThirdPartyInvite(pdu: Pdu, target: string, thirdPartyInvite: JsonValue, state: AuthEventMap): AuthResult {
  const signed = isJsonObject(thirdPartyInvite) ? thirdPartyInvite.signed : undefined;
  if (!isJsonObject(signed)) return reject("third-party invite: content.third_party_invite has no signed object");
  const { mxid, token } = signed;
  if (typeof mxid !== "string" || typeof token !== "string") {
    return reject("third-party invite: signed needs mxid and token");
  }
  if (mxid !== target) return reject("third-party invite: signed.mxid does not match state_key");
  const invite = stateEvent(state, "m.room.third_party_invite", token);
  if (!invite) return reject("third-party invite: no m.room.third_party_invite with a matching token");
  if (invite.sender !== pdu.sender) {
    return reject("third-party invite: sender differs from the sender of m.room.third_party_invite");
  }
  if (isSignedByAnyKey(signed, publicKeysOf(invite.content))) return ALLOWED;
  return reject("third-party invite: no signature in signed matches a public key of m.room.third_party_invite");
}

/** `public_key` and every `public_keys[].public_key` of an m.room.third_party_invite, decoded. */
function publicKeysOf(content: JsonObject): Uint8Array[] {
  const encoded: JsonValue[] = [content.public_key ?? null];
  if (Array.isArray(content.public_keys)) {
    for (const entry of content.public_keys) if (isJsonObject(entry)) encoded.push(entry.public_key ?? null);
  }
  return encoded.flatMap((key) => {
    const bytes = typeof key === "string" ? decodeEitherAlphabet(key) : undefined;
    return bytes ? [bytes] : [];
  });
}

/** Identity servers publish keys in standard or URL-safe Base64. */
function decodeEitherAlphabet(key: string): Uint8Array | undefined {
  for (const decode of [decodeBase64, decodeBase64Url]) {
    try {
      return decode(key);
    } catch (error) {
      if (!(error instanceof Base64Error)) throw error;
    }
  }
  return undefined;
}

function isSignedByAnyKey(signed: JsonObject, publicKeys: Uint8Array[]): boolean {
  const signatures = signed.signatures;
  if (!isJsonObject(signatures)) return false;
  for (const [server, byKey] of Object.entries(signatures)) {
    if (!isJsonObject(byKey)) continue;
    for (const keyId of Object.keys(byKey)) {
      if (!keyId.startsWith("ed25519:")) continue;
      if (publicKeys.some((publicKey) => verifyJsonSignature(signed, server, keyId, publicKey))) return true;
    }
  }
  return false;
}
