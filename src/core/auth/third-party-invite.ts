/**
 * Rule 5.3.1 (v3+ numbering): an invite that redeems a third-party invite. The `signed` block must
 * name the invited user and the token of an `m.room.third_party_invite` sent by the same sender,
 * and carry a signature made with one of that event's public keys.
 */
import { createPublicKey, verify } from "node:crypto";
import { canonicalJson } from "../json/canonical-json.ts";
import type { JsonObject, JsonValue, Pdu } from "../types.ts";
import type { AuthEventMap } from "./auth-event-map.ts";
import { stateEvent } from "./auth-event-map.ts";
import type { AuthResult } from "./auth-result.ts";
import { ALLOWED, reject } from "./auth-result.ts";

function asObject(value: JsonValue | undefined): JsonObject | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
}

export function checkThirdPartyInvite(pdu: Pdu, target: string, thirdPartyInvite: JsonValue, state: AuthEventMap): AuthResult {
  const signed = asObject(asObject(thirdPartyInvite)?.signed);
  if (!signed) return reject("third-party invite: content.third_party_invite has no signed object");
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

/** `public_key` and every `public_keys[].public_key` of an m.room.third_party_invite. */
function publicKeysOf(content: JsonObject): string[] {
  const keys: string[] = [];
  if (typeof content.public_key === "string") keys.push(content.public_key);
  if (Array.isArray(content.public_keys)) {
    for (const entry of content.public_keys) {
      const key = asObject(entry)?.public_key;
      if (typeof key === "string") keys.push(key);
    }
  }
  return keys;
}

// DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it.
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

function isSignedByAnyKey(signed: JsonObject, publicKeys: string[]): boolean {
  const signatures = asObject(signed.signatures);
  if (!signatures || publicKeys.length === 0) return false;
  const { signatures: _signatures, unsigned: _unsigned, ...unsignedPart } = signed;
  const message = Buffer.from(canonicalJson(unsignedPart));
  for (const server of Object.keys(signatures)) {
    const byKey = asObject(signatures[server]) ?? {};
    for (const [keyId, signature] of Object.entries(byKey)) {
      if (!keyId.startsWith("ed25519:") || typeof signature !== "string") continue;
      const signatureBytes = Buffer.from(signature, "base64");
      for (const publicKey of publicKeys) {
        if (verifiesWith(publicKey, message, signatureBytes)) return true;
      }
    }
  }
  return false;
}

function verifiesWith(publicKeyBase64: string, message: Buffer, signature: Buffer): boolean {
  const raw = Buffer.from(publicKeyBase64, "base64");
  if (raw.length !== 32 || signature.length !== 64) return false;
  const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
  return verify(null, message, key, signature);
}
