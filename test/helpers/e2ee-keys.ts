/**
 * Real, correctly signed E2EE key material for tests that talk to the server directly: a device
 * with its own Ed25519 key (device keys, signed one-time and fallback keys) and a user's
 * cross-signing keys (master, self-signing, user-signing), signed the way clients sign them.
 * Curve25519 keys are random 32-byte values: the server stores and hands them out, never uses them.
 */
import { randomBytes } from "node:crypto";
import { encodeBase64, generateSigningSeed, publicKeyFromSeed, signJson, type JsonObject } from "../../src/core";

export interface Ed25519Pair {
  seed: Uint8Array;
  publicKey: string;
}

export function ed25519Pair(): Ed25519Pair {
  const seed = generateSigningSeed();
  return { seed, publicKey: encodeBase64(publicKeyFromSeed(seed)) };
}

export const randomKey = () => encodeBase64(randomBytes(32));

export interface TestDevice {
  userId: string;
  deviceId: string;
  signing: Ed25519Pair;
  curve25519: string;
  /** `ed25519:<device id>`: the key id of the device's signatures. */
  keyId: string;
  deviceKeys(extra?: JsonObject): JsonObject;
  /** `n` signed_curve25519 one-time keys, ids `<prefix>0`..; each with a fresh key. */
  oneTimeKeys(n: number, prefix?: string): JsonObject;
  fallbackKey(id?: string): JsonObject;
  sign<T extends JsonObject>(object: T): T;
}

export function testDevice(userId: string, deviceId: string): TestDevice {
  const signing = ed25519Pair();
  const keyId = `ed25519:${deviceId}`;
  const curve25519 = randomKey();
  const sign = <T extends JsonObject>(object: T): T => signJson(object, userId, keyId, signing.seed) as T;
  return {
    userId,
    deviceId,
    signing,
    curve25519,
    keyId,
    sign,
    deviceKeys(extra = {}) {
      return sign({
        user_id: userId,
        device_id: deviceId,
        algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        keys: { [`curve25519:${deviceId}`]: curve25519, [keyId]: signing.publicKey },
        ...extra,
      });
    },
    oneTimeKeys(n, prefix = "AAAA") {
      const keys: JsonObject = {};
      for (let i = 0; i < n; i++) keys[`signed_curve25519:${prefix}${i}`] = sign({ key: randomKey() });
      return keys;
    },
    fallbackKey(id = "FB1") {
      return { [`signed_curve25519:${id}`]: sign({ key: randomKey(), fallback: true }) };
    },
  };
}

export interface TestCrossSigning {
  master: Ed25519Pair;
  selfSigning: Ed25519Pair;
  userSigning: Ed25519Pair;
  masterKey: JsonObject;
  selfSigningKey: JsonObject;
  userSigningKey: JsonObject;
  /** `object` signed by one of the cross-signing keys (its key id is `ed25519:<public key>`). */
  signWith<T extends JsonObject>(pair: Ed25519Pair, object: T): T;
}

export function testCrossSigning(userId: string): TestCrossSigning {
  const master = ed25519Pair();
  const selfSigning = ed25519Pair();
  const userSigning = ed25519Pair();
  const signWith = <T extends JsonObject>(pair: Ed25519Pair, object: T): T =>
    signJson(object, userId, `ed25519:${pair.publicKey}`, pair.seed) as T;
  const key = (pair: Ed25519Pair, usage: string): JsonObject => ({
    user_id: userId,
    usage: [usage],
    keys: { [`ed25519:${pair.publicKey}`]: pair.publicKey },
  });
  return {
    master,
    selfSigning,
    userSigning,
    masterKey: key(master, "master"),
    selfSigningKey: signWith(master, key(selfSigning, "self_signing")),
    userSigningKey: signWith(master, key(userSigning, "user_signing")),
    signWith,
  };
}
