// Cross-signing: the first keys need no password, replacing them does (UIA), a retry of the same
// keys needs none; signatures are verified one by one, failures reported per key, and each
// signature is shown to whom it concerns.
import { beforeEach, describe, expect, test } from "bun:test";
import { signJson, type JsonObject } from "../../../src/core";
import { UiaRequired } from "../../../src/services/accounts/uia";
import { e2eeArea, rejection, type E2eeArea } from "../../helpers/e2ee-area";
import { testCrossSigning, testDevice, type TestCrossSigning, type TestDevice } from "../../helpers/e2ee-keys";

let area: E2eeArea;
let alice: string;
let bob: string;
let aliceDevice: TestDevice;
let aliceKeys: TestCrossSigning;
let bobKeys: TestCrossSigning;
const ctx = () => area.ctx("POST /_matrix/client/v3/keys/device_signing/upload");

beforeEach(async () => {
  area = await e2eeArea();
  alice = await area.addUser("alice");
  bob = await area.addUser("bob");
  aliceDevice = testDevice(alice, "DEV1");
  area.e2ee.deviceKeys.upload(alice, "DEV1", { device_keys: aliceDevice.deviceKeys() });
  aliceKeys = testCrossSigning(alice);
  bobKeys = testCrossSigning(bob);
});

const uploadKeys = (userId: string, body: JsonObject) => area.e2ee.crossSigning.uploadKeys(area.requester(userId), body, ctx());
const allKeys = (k: TestCrossSigning) => ({ master_key: k.masterKey, self_signing_key: k.selfSigningKey, user_signing_key: k.userSigningKey });


describe("device_signing/upload", () => {
  test("the first keys need no password; replacing them does; repeating them does not", async () => {
    expect(await uploadKeys(alice, allKeys(aliceKeys))).toEqual({});
    expect(await uploadKeys(alice, allKeys(aliceKeys))).toEqual({});
    const replacement = testCrossSigning(alice);
    const challenge = await rejection(() => uploadKeys(alice, allKeys(replacement)));
    expect(challenge).toBeInstanceOf(UiaRequired);
    const session = (challenge as UiaRequired).body.session;
    const auth = { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "secret", session };
    expect(await uploadKeys(alice, { ...allKeys(replacement), auth })).toEqual({});
    expect(area.storage.e2eeKeys.crossSigningKeys(alice).master).toBe(JSON.stringify(replacement.masterKey));
  });

  test("keys not signed by the master key, or without one, are refused and nothing is stored", async () => {
    const other = testCrossSigning(alice);
    const wrong = await rejection(() => uploadKeys(alice, { master_key: aliceKeys.masterKey, self_signing_key: other.selfSigningKey }));
    expect(wrong.errcode).toBe("M_INVALID_SIGNATURE");
    expect(area.storage.e2eeKeys.crossSigningKeys(alice)).toEqual({});
    const orphan = await rejection(() => uploadKeys(alice, { self_signing_key: aliceKeys.selfSigningKey }));
    expect(orphan.errcode).toBe("M_MISSING_PARAM");
    const foreign = await rejection(() => uploadKeys(alice, { master_key: bobKeys.masterKey }));
    expect(foreign).toMatchObject({ errcode: "M_INVALID_PARAM" });
    expect(foreign.message).toStartWith("master_key.user_id");
  });

  test("a key named like one of the user's devices is forbidden", async () => {
    area.storage.accounts.ensureDevice(alice, aliceKeys.master.publicKey, null, 1);
    expect((await rejection(() => uploadKeys(alice, allKeys(aliceKeys)))).errcode).toBe("M_FORBIDDEN");
  });

  test("new master and self-signing keys go out as m.signing_key_update; the user-signing key stays here", async () => {
    area.member("!r:a.test", alice);
    area.member("!r:a.test", "@carol:b.test");
    await uploadKeys(alice, allKeys(aliceKeys));
    const updates = area.edusOfType("m.signing_key_update");
    expect(updates).toHaveLength(1);
    expect(updates[0]!.destinations).toEqual(["b.test"]);
    expect(updates[0]!.content).toEqual({ user_id: alice, master_key: aliceKeys.masterKey, self_signing_key: aliceKeys.selfSigningKey });
  });
});

describe("signatures/upload", () => {
  beforeEach(async () => {
    await uploadKeys(alice, allKeys(aliceKeys));
    await uploadKeys(bob, allKeys(bobKeys));
  });
  const sign = (body: JsonObject, userId = alice) => area.e2ee.crossSigning.uploadSignatures(area.requester(userId), body);
  const query = (viewer: string, userId: string) => area.e2ee.queries.query(viewer, { device_keys: { [userId]: [] } });

  test("a device signed by the self-signing key: verified, stored, served and announced", async () => {
    const signed = aliceKeys.signWith(aliceKeys.selfSigning, aliceDevice.deviceKeys());
    expect(await sign({ [alice]: { DEV1: signed } })).toEqual({ failures: {} });
    const seen = (await query(bob, alice)).device_keys[alice]!.DEV1!;
    expect((seen.signatures as JsonObject)[alice]).toMatchObject({ [`ed25519:${aliceKeys.selfSigning.publicKey}`]: expect.any(String) });
    expect(area.edusOfType("m.device_list_update")).toEqual([]); // nobody elsewhere shares a room
  });

  test("the master key signed by one of the user's devices is seen by everyone", async () => {
    const signed = aliceDevice.sign(aliceKeys.masterKey);
    expect(await sign({ [alice]: { [aliceKeys.master.publicKey]: signed } })).toEqual({ failures: {} });
    const master = (await query(bob, alice)).master_keys[alice]!;
    expect((master.signatures as JsonObject)[alice]).toHaveProperty("ed25519:DEV1");
  });

  test("another user's master key signed by the user-signing key is seen only by the signer", async () => {
    const signed = bobKeys.masterKey;
    const withSig = signJson(signed, alice, `ed25519:${aliceKeys.userSigning.publicKey}`, aliceKeys.userSigning.seed);
    expect(await sign({ [bob]: { [bobKeys.master.publicKey]: withSig } })).toEqual({ failures: {} });
    expect(((await query(alice, bob)).master_keys[bob]!.signatures as JsonObject)[alice]).toBeDefined();
    expect(((await query(bob, bob)).master_keys[bob]!.signatures ?? {}) as JsonObject).not.toHaveProperty(alice);
    // Alice's devices learn that Bob's identity changed for them; nobody else does.
    expect(area.storage.deviceLists.changedSince(0, area.e2ee.changes.position(), alice)).toContain(bob);
  });

  test("bad signatures fail per key while good ones are kept", async () => {
    const good = aliceKeys.signWith(aliceKeys.selfSigning, aliceDevice.deviceKeys());
    const forged = testCrossSigning(alice).signWith(testCrossSigning(alice).selfSigning, aliceDevice.deviceKeys());
    const tampered = { ...aliceKeys.signWith(aliceKeys.selfSigning, aliceDevice.deviceKeys()), algorithms: ["x"] };
    const byOtherKey = signJson(bobKeys.masterKey, alice, `ed25519:${aliceKeys.selfSigning.publicKey}`, aliceKeys.selfSigning.seed);
    const result = await sign({
      [alice]: { DEV1: good, NOPE: forged },
      [bob]: { [bobKeys.master.publicKey]: byOtherKey, WRONG: bobKeys.masterKey },
    });
    expect(result.failures[alice]).toEqual({ NOPE: { errcode: "M_NOT_FOUND", error: expect.any(String) } });
    expect(result.failures[bob]![bobKeys.master.publicKey]!.errcode).toBe("M_INVALID_SIGNATURE");
    expect(result.failures[bob]!.WRONG!.errcode).toBe("M_NOT_FOUND");
    expect((await sign({ [alice]: { DEV1: tampered } })).failures[alice]!.DEV1!.errcode).toBe("M_INVALID_SIGNATURE");
    expect((await sign({ [alice]: { DEV1: forged } })).failures[alice]!.DEV1!.errcode).toBe("M_INVALID_SIGNATURE");
    const seen = (await query(bob, alice)).device_keys[alice]!.DEV1!;
    expect(Object.keys((seen.signatures as Record<string, JsonObject>)[alice]!)).toHaveLength(2); // own + the good one
  });

  test("user-signing keys are served to their owner only", async () => {
    expect((await query(alice, alice)).user_signing_keys?.[alice]).toEqual(aliceKeys.userSigningKey);
    expect((await query(bob, alice)).user_signing_keys?.[alice]).toBeUndefined();
  });
});
