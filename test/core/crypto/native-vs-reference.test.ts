import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import {
  generateSigningSeed,
  publicKeyFromSeed,
  signEd25519,
  verifyEd25519,
} from "../../../src/core/crypto/ed25519.ts";
import {
  referencePublicKeyFromSeed,
  referenceSha256,
  referenceSignEd25519,
  referenceVerifyEd25519,
} from "./reference.ts";
import { sha256 } from "../../../src/core/crypto/sha256.ts";
import { randomString, seededRandom } from "../../helpers/random-json.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const randomMessage = (random: () => number, i: number): string | Uint8Array =>
  i % 2 === 0 ? randomString(random, 40) : new Uint8Array(randomBytes(Math.floor(random() * 2048)));
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));

describe("known answers", () => {
  test("RFC 8032 Ed25519 test 1 (empty message)", () => {
    const seed = fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    const publicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const signature =
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
    expect(hex(publicKeyFromSeed(seed))).toBe(publicKey);
    expect(hex(signEd25519(new Uint8Array(0), seed))).toBe(signature);
    expect(verifyEd25519(fromHex(signature), new Uint8Array(0), fromHex(publicKey))).toBe(true);
  });

  test("SHA-256 of 'abc' and of the empty string", () => {
    expect(hex(sha256("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(sha256(new Uint8Array(0)))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});

describe("native crypto agrees with the @noble reference", () => {
  // @noble verifies ~1,200 signatures/s here, so the verification round is the smaller one.
  test("public keys and signatures on 2000 random keys and messages", () => {
    const random = seededRandom(31337);
    for (let i = 0; i < 2000; i++) {
      const seed = generateSigningSeed();
      const message = randomMessage(random, i);
      expect(hex(publicKeyFromSeed(seed))).toBe(hex(referencePublicKeyFromSeed(seed)));
      expect(hex(signEd25519(message, seed))).toBe(hex(referenceSignEd25519(message, seed)));
    }
  }, 20_000);

  test("verification of good, tampered and misattributed signatures on 1000 random messages", () => {
    const random = seededRandom(4242);
    for (let i = 0; i < 1000; i++) {
      const seed = generateSigningSeed();
      const message = randomMessage(random, i);
      const publicKey = publicKeyFromSeed(seed);
      const signature = signEd25519(message, seed);
      expect(verifyEd25519(signature, message, publicKey)).toBe(true);
      expect(referenceVerifyEd25519(signature, message, publicKey)).toBe(true);

      // One flipped bit anywhere in the signature, or a different message, fails on both sides.
      const tampered = signature.slice();
      tampered[Math.floor(random() * 64)]! ^= 1 << Math.floor(random() * 8);
      const other = typeof message === "string" ? message + "x" : Uint8Array.from([...message, 0]);
      const [a, b] = i % 2 === 0 ? [tampered, message] : [signature, other];
      expect(verifyEd25519(a, b, publicKey)).toBe(false);
      expect(referenceVerifyEd25519(a, b, publicKey)).toBe(false);
    }
  }, 20_000);

  test("random garbage signatures and keys: both refuse, neither throws", () => {
    const message = "some message";
    for (let i = 0; i < 500; i++) {
      const signature = new Uint8Array(randomBytes(64));
      const publicKey = new Uint8Array(randomBytes(32));
      expect(verifyEd25519(signature, message, publicKey)).toBe(referenceVerifyEd25519(signature, message, publicKey));
      expect(verifyEd25519(signature, message, publicKey)).toBe(false);
    }
  });

  test("SHA-256 on 3000 random inputs, bytes and strings (hashed as UTF-8)", () => {
    const random = seededRandom(5);
    for (let i = 0; i < 3000; i++) {
      const input = i % 2 === 0 ? randomString(random, 200) : new Uint8Array(randomBytes(Math.floor(random() * 4096)));
      expect(hex(sha256(input))).toBe(hex(referenceSha256(input)));
    }
  });
});

describe("verifyEd25519 input checks", () => {
  const seed = generateSigningSeed();
  const publicKey = publicKeyFromSeed(seed);
  const signature = signEd25519("m", seed);

  test("wrong lengths are false, not exceptions", () => {
    expect(verifyEd25519(signature.subarray(0, 63), "m", publicKey)).toBe(false);
    expect(verifyEd25519(signature, "m", publicKey.subarray(0, 31))).toBe(false);
    expect(verifyEd25519(new Uint8Array(0), "m", new Uint8Array(0))).toBe(false);
  });

  test("a public key that is not a curve point is false", () => {
    const notAPoint = new Uint8Array(32).fill(0xff);
    notAPoint[31] = 0x7f; // y = 2^255 - 1, above the field prime
    expect(verifyEd25519(signature, "m", notAPoint)).toBe(false);
    expect(referenceVerifyEd25519(signature, "m", notAPoint)).toBe(false);
  });

  test("signing rejects a seed of the wrong size", () => {
    expect(() => signEd25519("m", new Uint8Array(31))).toThrow(RangeError);
  });
});
