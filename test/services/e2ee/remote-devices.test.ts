// Other servers' device lists: filled by GET /user/devices while a local user shares a room, kept
// current by m.device_list_update EDUs that follow what is held, refetched after a gap, forgotten
// when nobody here shares a room; EDUs about users of another server than the sender are dropped.
// The other server is played by the test.
import { beforeEach, describe, expect, test } from "bun:test";
import type { JsonObject } from "../../../src/core";
import type { FederationRequest } from "../../../src/net/federation-client";
import { e2eeArea, type E2eeArea } from "../../helpers/e2ee-area";
import { testCrossSigning, testDevice } from "../../helpers/e2ee-keys";

let area: E2eeArea;
let alice: string;
const remoteUser = "@rita:b.test";
const phone = testDevice(remoteUser, "PHONE");
const laptop = testDevice(remoteUser, "LAPTOP");
const ritaKeys = testCrossSigning(remoteUser);
let streamId = 5;
let devices: JsonObject[] = [];

beforeEach(async () => {
  area = await e2eeArea();
  alice = await area.addUser("alice");
  area.member("!r:a.test", alice);
  area.member("!r:a.test", remoteUser);
  streamId = 5;
  devices = [{ device_id: "PHONE", keys: phone.deviceKeys(), device_display_name: "Rita's phone" }];
  area.setRemote(async (destination: string, req: FederationRequest) => {
    if (destination !== "b.test") throw new Error("unreachable");
    if (req.path === `/_matrix/federation/v1/user/devices/${encodeURIComponent(remoteUser)}`) {
      return { user_id: remoteUser, stream_id: streamId, devices, master_key: ritaKeys.masterKey, self_signing_key: ritaKeys.selfSigningKey };
    }
    throw new Error(`unexpected ${req.method} ${req.path}`);
  });
});

const fetches = () => area.requests.filter((r) => r.req.path.includes("/user/devices/")).length;
const update = (content: JsonObject, origin = "b.test") =>
  area.e2ee.remote.onDeviceListUpdate(origin, { user_id: remoteUser, ...content });
const keysOf = () => area.e2ee.remote.keysOf(remoteUser, 1_000);

describe("the cache", () => {
  test("the first query fetches the list; later ones are answered from the cache", async () => {
    const first = (await keysOf())!;
    expect(Object.keys(first.devices)).toEqual(["PHONE"]);
    expect(first.devices.PHONE!.unsigned).toEqual({ device_display_name: "Rita's phone" });
    expect(first.masterKey).toEqual(ritaKeys.masterKey);
    await keysOf();
    expect(fetches()).toBe(1);
  });

  test("an update that follows what is held is applied without a fetch", async () => {
    await keysOf();
    update({ device_id: "LAPTOP", stream_id: 6, prev_id: [5], keys: laptop.deviceKeys() });
    update({ device_id: "PHONE", stream_id: 7, prev_id: [6], deleted: true });
    expect(Object.keys((await keysOf())!.devices)).toEqual(["LAPTOP"]);
    expect(fetches()).toBe(1);
    // Local users sharing a room are told.
    expect(area.storage.deviceLists.changedSince(0, area.e2ee.changes.position(), alice)).toContain(remoteUser);
  });

  test("an update after a gap makes the list stale and refetches it", async () => {
    await keysOf();
    streamId = 9;
    devices = [...devices, { device_id: "LAPTOP", keys: laptop.deviceKeys() }];
    update({ device_id: "LAPTOP", stream_id: 9, prev_id: [8], keys: laptop.deviceKeys() });
    expect(Object.keys((await keysOf())!.devices).sort()).toEqual(["LAPTOP", "PHONE"]);
    expect(fetches()).toBe(2);
    expect(area.storage.deviceLists.remoteList(remoteUser)?.stream_id).toBe(9);
  });

  test("an update without prev_id, and an old one, are not applied as such", async () => {
    await keysOf();
    update({ device_id: "PHONE", stream_id: 4, prev_id: [3], deleted: true });
    expect(Object.keys((await keysOf())!.devices)).toEqual(["PHONE"]);
    expect(fetches()).toBe(1);
    update({ device_id: "X", stream_id: 6, prev_id: [] });
    await keysOf();
    expect(fetches()).toBe(2);
  });

  test("a stale list is served when its server cannot be reached; no list means a failure", async () => {
    await keysOf();
    area.setRemote(async () => {
      throw new Error("down");
    });
    update({ device_id: "PHONE", stream_id: 9, prev_id: [8], deleted: true });
    expect(Object.keys((await keysOf())!.devices)).toEqual(["PHONE"]);
    area.storage.deviceLists.forgetRemote(remoteUser);
    await expect(keysOf()).rejects.toThrow("down");
  });

  test("once nobody here shares a room, the list is forgotten and not fetched", async () => {
    await keysOf();
    area.member("!r:a.test", alice, "leave");
    area.e2ee.remote.untrackIfAlone(remoteUser);
    expect(area.storage.deviceLists.remoteList(remoteUser)).toBeNull();
    expect(await keysOf()).toBeUndefined();
    update({ device_id: "LAPTOP", stream_id: 6, prev_id: [5] });
    expect(area.storage.deviceLists.remoteList(remoteUser)).toBeNull();
    expect(fetches()).toBe(1);
  });

  test("signing key updates replace the cached keys", async () => {
    await keysOf();
    const next = testCrossSigning(remoteUser);
    area.e2ee.remote.onSigningKeyUpdate("b.test", { user_id: remoteUser, master_key: next.masterKey });
    const keys = (await keysOf())!;
    expect(keys.masterKey).toEqual(next.masterKey);
    expect(keys.selfSigningKey).toEqual(ritaKeys.selfSigningKey);
  });
});

describe("spoofing", () => {
  test("EDUs about another server's user are dropped", async () => {
    await keysOf();
    const before = area.e2ee.changes.position();
    update({ device_id: "PHONE", stream_id: 6, prev_id: [5], deleted: true }, "evil.test");
    area.e2ee.remote.onSigningKeyUpdate("evil.test", { user_id: remoteUser, master_key: testCrossSigning(remoteUser).masterKey });
    expect(Object.keys((await keysOf())!.devices)).toEqual(["PHONE"]);
    expect((await keysOf())!.masterKey).toEqual(ritaKeys.masterKey);
    expect(area.e2ee.changes.position()).toBe(before);
  });

  test("keys in a fetched list that are not the user's own are dropped", async () => {
    devices = [{ device_id: "PHONE", keys: testDevice("@other:b.test", "PHONE").deviceKeys() }, { device_id: "TABLET", keys: phone.deviceKeys() }];
    const keys = (await keysOf())!;
    expect(keys.devices).toEqual({});
  });
});
