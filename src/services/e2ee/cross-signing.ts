/**
 * Cross-signing (spec "Cross-signing", `POST /keys/device_signing/upload` and
 * `POST /keys/signatures/upload`). Uploading keys takes the password again (UIA) unless the user
 * has no master key yet, or the request repeats the keys already stored (a retry). Every uploaded
 * signature is verified against the key that must have made it; each one that fails is reported
 * in `failures` while the others are kept.
 */
import {
  canonicalJson,
  checkCrossSigningKey,
  crossSigningPublicKey,
  isJsonObject,
  isSignedBy,
  signedBytesOf,
  type CrossSigningKey,
  type CrossSigningUsage,
  type JsonObject,
} from "../../core";
import type { Storage } from "../../storage";
import type { CrossSigningKeyType } from "../../storage/e2ee-keys";
import { REAUTH_FLOWS, type RequestContext } from "../accounts/users";
import type { Requester } from "../accounts/access-tokens";
import { serverOf } from "../federation/room-view";
import { badJson, forbidden, missingParam } from "../matrix-error";
import type { UiaService } from "../accounts/uia";
import { checked, type DeviceKeysService } from "./device-keys";
import type { DeviceListChanges } from "./device-list-changes";
import type { RemoteDevices } from "./remote-devices";

export interface CrossSigningDeps {
  serverName: string;
  storage: Storage;
  uia: UiaService;
  changes: DeviceListChanges;
  deviceKeys: DeviceKeysService;
  remote: RemoteDevices;
}

interface Failure {
  errcode: string;
  error: string;
}

const FIELDS: readonly [string, CrossSigningKeyType & CrossSigningUsage][] = [
  ["master_key", "master"],
  ["self_signing_key", "self_signing"],
  ["user_signing_key", "user_signing"],
];

/** The key id of a cross-signing key: its public key, after the algorithm. */
const idOf = (publicKey: string) => `ed25519:${publicKey}`;

export function createCrossSigning(deps: CrossSigningDeps) {
  const { storage, changes } = deps;
  const keys = storage.e2eeKeys;

  function storedKey(userId: string, type: CrossSigningKeyType): JsonObject | undefined {
    const json = keys.crossSigningKeys(userId)[type];
    return json === undefined ? undefined : (JSON.parse(json) as JsonObject);
  }

  /** The master key of any user: stored here, or from their server. */
  async function masterKeyOf(userId: string): Promise<JsonObject | undefined> {
    if (serverOf(userId) === deps.serverName) return storedKey(userId, "master");
    return (await deps.remote.keysOf(userId, 10_000))?.masterKey;
  }

  /** Verifies and stores the signatures `signer` uploaded for one key; a failure otherwise. */
  async function applySignature(signer: string, targetUser: string, keyId: string, signed: unknown): Promise<Failure | undefined> {
    if (!isJsonObject(signed)) return { errcode: "M_BAD_JSON", error: "A signed key object is required" };
    const mine = isJsonObject(signed.signatures) && isJsonObject(signed.signatures[signer]) ? (signed.signatures[signer] as JsonObject) : {};
    if (targetUser === signer) return applyOwnSignature(signer, keyId, signed, mine);

    // Another user's master key, signed with the signer's user-signing key.
    const master = await masterKeyOf(targetUser);
    if (!master || crossSigningPublicKey(master) !== keyId) return { errcode: "M_NOT_FOUND", error: `${keyId} is not ${targetUser}'s master key` };
    if (signedBytesOf(master) !== signedBytesOf(signed)) return { errcode: "M_INVALID_SIGNATURE", error: "The signed object is not the stored key" };
    const signature = crossSignature(signer, "user_signing", signed, mine);
    if ("errcode" in signature) return signature;
    storage.transaction(() => {
      keys.putMasterKeySignature(targetUser, keyId, signer, signature.signerKey, signature.signature);
      changes.changedFor(signer, targetUser);
    });
    return undefined;
  }

  /** The signer's verified signature on `signed` by their self- or user-signing key; or why there is none. */
  function crossSignature(signer: string, type: "self_signing" | "user_signing", signed: JsonObject, mine: JsonObject): { signerKey: string; signature: string } | Failure {
    const name = type === "self_signing" ? "self-signing" : "user-signing";
    const key = storedKey(signer, type);
    const pub = key && crossSigningPublicKey(key);
    if (pub === undefined) return { errcode: "M_INVALID_SIGNATURE", error: `You have no ${name} key to sign with` };
    const signature = mine[idOf(pub)];
    if (typeof signature !== "string" || !isSignedBy(signed, signer, idOf(pub), pub)) {
      return { errcode: "M_INVALID_SIGNATURE", error: `Not a valid signature by your ${name} key` };
    }
    return { signerKey: idOf(pub), signature };
  }

  function applyOwnSignature(userId: string, keyId: string, signed: JsonObject, mine: JsonObject): Failure | undefined {
    const master = storedKey(userId, "master");
    const masterPub = master && crossSigningPublicKey(master);
    if (master && keyId === masterPub) {
      // The user's master key, signed by one of their devices.
      if (signedBytesOf(master) !== signedBytesOf(signed)) return { errcode: "M_INVALID_SIGNATURE", error: "The signed object is not the stored key" };
      const valid: [string, string][] = [];
      for (const [signerKey, signature] of Object.entries(mine)) {
        if (signerKey === idOf(masterPub) || typeof signature !== "string" || !signerKey.startsWith("ed25519:")) continue;
        const device = keys.getDeviceKeys(userId, signerKey.slice("ed25519:".length));
        const deviceKeys = device === null ? undefined : (JSON.parse(device) as JsonObject).keys;
        const deviceKey = isJsonObject(deviceKeys) ? deviceKeys[signerKey] : undefined;
        if (typeof deviceKey !== "string" || !isSignedBy(signed, userId, signerKey, deviceKey)) {
          return { errcode: "M_INVALID_SIGNATURE", error: `Not a valid signature by ${signerKey}` };
        }
        valid.push([signerKey, signature]);
      }
      if (valid.length === 0) return { errcode: "M_INVALID_SIGNATURE", error: "No signature by one of your devices" };
      storage.transaction(() => {
        for (const [signerKey, signature] of valid) keys.putMasterKeySignature(userId, masterPub, userId, signerKey, signature);
        changes.signingKeysChanged(userId, { master_key: withOwnSignatures(master, userId, masterPub) });
      });
      return undefined;
    }

    // One of the user's devices, signed with their self-signing key.
    const device = keys.getDeviceKeys(userId, keyId);
    if (device === null) return { errcode: "M_NOT_FOUND", error: `${keyId} is not one of your devices or keys` };
    if (signedBytesOf(JSON.parse(device) as JsonObject) !== signedBytesOf(signed)) {
      return { errcode: "M_INVALID_SIGNATURE", error: "The signed object is not the stored device keys" };
    }
    const signature = crossSignature(userId, "self_signing", signed, mine);
    if ("errcode" in signature) return signature;
    storage.transaction(() => {
      keys.putDeviceSignature(userId, keyId, signature.signerKey, signature.signature);
      changes.devicesChanged(userId, [keyId], (id) => deps.deviceKeys.describeDevice(userId, id));
    });
    return undefined;
  }

  /** The stored master key with the signatures of its own user's devices. */
  function withOwnSignatures(master: JsonObject, userId: string, masterPub: string): JsonObject {
    const signatures: JsonObject = isJsonObject(master.signatures) ? { ...master.signatures } : {};
    const own: JsonObject = isJsonObject(signatures[userId]) ? { ...(signatures[userId] as JsonObject) } : {};
    for (const s of keys.masterKeySignatures(userId, masterPub, userId)) if (s.signer_user === userId) own[s.signer_key] = s.signature;
    signatures[userId] = own;
    return { ...master, signatures };
  }

  return {
    /** `POST /keys/device_signing/upload`. */
    async uploadKeys(requester: Requester, body: unknown, ctx: RequestContext): Promise<Record<string, never>> {
      if (!isJsonObject(body)) throw badJson("The body must be a JSON object");
      const { userId } = requester;
      const stored = keys.crossSigningKeys(userId);
      const storedMaster = stored.master === undefined ? undefined : (JSON.parse(stored.master) as JsonObject);
      const uploaded = new Map<CrossSigningKeyType, CrossSigningKey>();
      let masterPub = storedMaster && crossSigningPublicKey(storedMaster);
      for (const [field, usage] of FIELDS) {
        if (body[field] === undefined) continue;
        if (usage !== "master" && masterPub === undefined) throw missingParam(`${field}: no master key to be signed by; upload master_key too`);
        const key = checked(checkCrossSigningKey(body[field], field, userId, usage, masterPub));
        uploaded.set(usage, key);
        if (usage === "master") masterPub = key.publicKey;
      }
      for (const key of uploaded.values()) {
        if (storage.accounts.getDevice(userId, key.publicKey)) throw forbidden("Key ID in use: a device has this id");
      }
      const changed = [...uploaded].filter(([type, key]) => stored[type] === undefined || canonicalJson(JSON.parse(stored[type]!)) !== canonicalJson(key.json));
      if (changed.length === 0) return {};
      const write = () => {
        storage.transaction(() => {
          for (const [type, key] of changed) {
            const previous = stored[type] === undefined ? undefined : crossSigningPublicKey(JSON.parse(stored[type]!) as JsonObject);
            if (previous !== undefined && previous !== key.publicKey) {
              if (type === "master") keys.deleteMasterKeySignatures(userId, previous);
              if (type === "self_signing") keys.deleteDeviceSignaturesBy(userId, idOf(previous));
            }
            keys.putCrossSigningKey(userId, type, JSON.stringify(key.json));
          }
          const announced: { master_key?: JsonObject; self_signing_key?: JsonObject } = {};
          const master = uploaded.get("master");
          const selfSigning = uploaded.get("self_signing");
          if (master && changed.some(([t]) => t === "master")) announced.master_key = master.json;
          if (selfSigning && changed.some(([t]) => t === "self_signing")) announced.self_signing_key = selfSigning.json;
          if (announced.master_key || announced.self_signing_key) changes.signingKeysChanged(userId, announced);
          if (changed.some(([t]) => t === "user_signing")) changes.changedFor(userId, userId);
        });
        return {};
      };
      // Since v1.11: the first keys need no password; replacing keys does.
      if (storedMaster === undefined) return write();
      return deps.uia.run({ ...ctx, userId, auth: body.auth }, REAUTH_FLOWS, write);
    },

    /** `POST /keys/signatures/upload`. */
    async uploadSignatures(requester: Requester, body: unknown): Promise<{ failures: Record<string, Record<string, Failure>> }> {
      if (!isJsonObject(body)) throw badJson("The body must be a JSON object");
      const failures: Record<string, Record<string, Failure>> = {};
      for (const [targetUser, byKey] of Object.entries(body)) {
        if (!isJsonObject(byKey)) {
          failures[targetUser] = { "": { errcode: "M_BAD_JSON", error: "Must map key ids to signed objects" } };
          continue;
        }
        for (const [keyId, signed] of Object.entries(byKey)) {
          const failure = await applySignature(requester.userId, targetUser, keyId, signed);
          if (failure) (failures[targetUser] ??= {})[keyId] = failure;
        }
      }
      return { failures };
    },
  };
}
export type CrossSigning = ReturnType<typeof createCrossSigning>;
