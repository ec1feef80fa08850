// /keys/query and /keys/claim across servers, and what this server answers other servers: each
// remote server is asked once per request, an unreachable one lands in `failures` while the rest
// is answered, only a server's own users are believed, and other servers never see device names
// or user-signing keys.
import { beforeEach, describe, expect, test } from "bun:test";
import type { JsonObject } from "../../../src/core";
import type { FederationRequest } from "../../../src/net/federation-client";
import { RemoteError } from "../../../src/net/federation-client";
import { e2eeArea, type E2eeArea } from "../../helpers/e2ee-area";
import { testCrossSigning, testDevice } from "../../helpers/e2ee-keys";

let area: E2eeArea;
let alice: string;
const rita = "@rita:b.test";
const ritaPhone = testDevice(rita, "PHONE");
const ritaKeys = testCrossSigning(rita);

beforeEach(async () => {
  area = await e2eeArea();
  alice = await area.addUser("alice");
  area.e2ee.deviceKeys.upload(alice, "DEV1", {
    device_keys: testDevice(alice, "DEV1").deviceKeys(),
    one_time_keys: testDevice(alice, "DEV1").oneTimeKeys(0),
  });
  area.setRemote(async (destination: string, req: FederationRequest) => {
    if (destination === "down.test") throw new Error("connection refused");
    if (destination === "refusing.test") throw new RemoteError("refusing.test", 403, "M_FORBIDDEN", {});
    if (req.path === "/_matrix/federation/v1/user/keys/query") {
      return {
        device_keys: {
          [rita]: { PHONE: ritaPhone.deviceKeys(), FAKE: testDevice("@eve:b.test", "FAKE").deviceKeys() },
          "@alice:a.test": { EVIL: testDevice(alice, "EVIL").deviceKeys() },
        },
        master_keys: { [rita]: ritaKeys.masterKey },
        self_signing_keys: { [rita]: ritaKeys.selfSigningKey },
      };
    }
    if (req.path === "/_matrix/federation/v1/user/keys/claim") {
      return { one_time_keys: { [rita]: { PHONE: ritaPhone.oneTimeKeys(1) }, "@eve:b.test": { X: {} } } };
    }
    throw new Error(`unexpected ${req.path}`);
  });
});

describe("query", () => {
  test("local and remote users in one request; each remote server asked once; failures named", async () => {
    const response = await area.e2ee.queries.query(alice, {
      device_keys: { [alice]: [], [rita]: [], "@rob:b.test": ["X"], "@d:down.test": [], "@r:refusing.test": [] },
    });
    expect(Object.keys(response.device_keys[alice]!)).toEqual(["DEV1"]);
    expect(Object.keys(response.device_keys[rita]!)).toEqual(["PHONE"]); // the forged FAKE is dropped
    expect(response.device_keys["@rob:b.test"]).toEqual({});
    expect(response.master_keys[rita]).toEqual(ritaKeys.masterKey);
    expect(response.self_signing_keys[rita]).toEqual(ritaKeys.selfSigningKey);
    expect(Object.keys(response.failures!).sort()).toEqual(["down.test", "refusing.test"]);
    expect(response.failures!["refusing.test"]).toMatchObject({ status: 403 });
    const asked = area.requests.filter((r) => r.destination === "b.test");
    expect(asked).toHaveLength(1);
    expect((asked[0]!.req.body as JsonObject).device_keys).toEqual({ [rita]: [], "@rob:b.test": ["X"] });
  });

  test("bad requests are refused naming the field", async () => {
    await expect(area.e2ee.queries.query(alice, { device_keys: { bob: [] } })).rejects.toThrow('device_keys["bob"]');
    await expect(area.e2ee.queries.query(alice, { device_keys: { [alice]: null } })).rejects.toThrow("device ids");
    await expect(area.e2ee.queries.query(alice, { device_keys: [] })).rejects.toThrow("device_keys");
    await expect(area.e2ee.queries.query(alice, { device_keys: {}, timeout: "soon" })).rejects.toThrow("timeout");
  });
});

describe("claim", () => {
  test("local and remote claims; unknown devices and unreachable servers give nothing, not an error", async () => {
    area.e2ee.deviceKeys.upload(alice, "DEV1", { one_time_keys: testDevice(alice, "DEV1").oneTimeKeys(0) });
    const me = testDevice(alice, "DEV2");
    area.storage.accounts.ensureDevice(alice, "DEV2", null, 1);
    area.e2ee.deviceKeys.upload(alice, "DEV2", { device_keys: me.deviceKeys(), one_time_keys: me.oneTimeKeys(1) });
    const response = await area.e2ee.queries.claim({
      one_time_keys: { [alice]: { DEV2: "signed_curve25519", DEV1: "signed_curve25519" }, [rita]: { PHONE: "signed_curve25519" }, "@d:down.test": { X: "signed_curve25519" } },
    });
    expect(Object.keys(response.one_time_keys[alice]!)).toEqual(["DEV2"]);
    expect(Object.keys(response.one_time_keys[rita]!.PHONE!)).toEqual(["signed_curve25519:AAAA0"]);
    expect(response.one_time_keys["@eve:b.test"]).toBeUndefined();
    expect(Object.keys(response.failures!)).toEqual(["down.test"]);
    expect(area.e2ee.deviceKeys.counts(alice, "DEV2")).toEqual({ signed_curve25519: 0 });
  });
});

describe("answering other servers", () => {
  test("user/devices lists a local user's devices with keys and the stream id of the last update, no names", async () => {
    const before = area.e2ee.queries.userDevices(alice);
    expect(before).toMatchObject({ user_id: alice, devices: [{ device_id: "DEV1" }] });
    expect(before.stream_id).toBe(area.storage.deviceLists.lastDeviceUpdate(alice)!);
    const keys = (before.devices as JsonObject[])[0]!.keys as JsonObject;
    expect(keys.unsigned).toEqual({});
    expect(() => area.e2ee.queries.userDevices(rita)).toThrow();
    expect(() => area.e2ee.queries.userDevices("@ghost:a.test")).toThrow();
  });

  test("user/keys/query and user/keys/claim answer only for this server's users; no user-signing keys", async () => {
    const cs = testCrossSigning(alice);
    await area.e2ee.crossSigning.uploadKeys(area.requester(alice), { master_key: cs.masterKey, self_signing_key: cs.selfSigningKey, user_signing_key: cs.userSigningKey }, area.ctx("x"));
    const answer = area.e2ee.queries.federationQuery({ device_keys: { [alice]: [], [rita]: [] } });
    expect(Object.keys(answer.device_keys)).toEqual([alice]);
    expect(answer.master_keys[alice]).toEqual(cs.masterKey);
    expect(answer.user_signing_keys).toBeUndefined();
    expect(answer.device_keys[alice]!.DEV1!.unsigned).toEqual({});
    const claimed = area.e2ee.queries.federationClaim({ one_time_keys: { [alice]: { DEV1: "signed_curve25519" }, [rita]: { PHONE: "signed_curve25519" } } });
    expect(claimed).toEqual({ one_time_keys: {} }); // Alice has no keys left; Rita is not ours
  });
});
