// The E2EE keys repository on a real SQLite database: one-time keys go out oldest first and only
// once (also to claimers on other connections at the same time), fallback keys stay and are marked
// used, signatures are visible to whom they concern, and everything of a device goes with it.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage, openDatabase, type Storage } from "../../src/storage";

let storage: Storage;
beforeEach(() => {
  storage = createStorage(openDatabase(":memory:"));
  addDevice("@a:x", "D1");
});
afterEach(() => storage.close());

function addDevice(userId: string, deviceId: string) {
  if (!storage.accounts.getUser(userId)) {
    storage.accounts.insertUser({ userId, passwordHash: null, displayname: null, isGuest: false, createdTs: 1 });
  }
  storage.accounts.ensureDevice(userId, deviceId, `name of ${deviceId}`, 1);
}

const keys = () => storage.e2eeKeys;
const otk = (id: string) => ({ algorithm: "signed_curve25519", keyId: id, json: JSON.stringify({ key: id }) });

test("one-time keys are claimed in upload order, each once, and counted per algorithm", () => {
  keys().addOneTimeKeys("@a:x", "D1", [otk("B"), otk("A")]);
  keys().addOneTimeKeys("@a:x", "D1", [otk("C"), { algorithm: "curve25519", keyId: "Z", json: '"zz"' }]);
  expect(keys().countOneTimeKeys("@a:x", "D1")).toEqual({ signed_curve25519: 3, curve25519: 1 });
  const claimed = [1, 2, 3, 4].map(() => keys().claimOneTimeKey("@a:x", "D1", "signed_curve25519")?.key_id ?? null);
  expect(claimed).toEqual(["B", "A", "C", null]);
  expect(keys().countOneTimeKeys("@a:x", "D1")).toEqual({ curve25519: 1 });
  expect(keys().getOneTimeKey("@a:x", "D1", "curve25519", "Z")).toBe('"zz"');
  expect(keys().getOneTimeKey("@a:x", "D1", "signed_curve25519", "B")).toBeNull();
});

test("a fallback key is handed out again and again, marked used until replaced", () => {
  keys().putFallbackKey("@a:x", "D1", "signed_curve25519", "F1", '{"key":"f1"}');
  expect(keys().unusedFallbackKeyTypes("@a:x", "D1")).toEqual(["signed_curve25519"]);
  expect(keys().claimFallbackKey("@a:x", "D1", "signed_curve25519")).toEqual({ key_id: "F1", key_json: '{"key":"f1"}' });
  expect(keys().claimFallbackKey("@a:x", "D1", "signed_curve25519")?.key_id).toBe("F1");
  expect(keys().unusedFallbackKeyTypes("@a:x", "D1")).toEqual([]);
  keys().putFallbackKey("@a:x", "D1", "signed_curve25519", "F2", '{"key":"f2"}');
  expect(keys().getFallbackKey("@a:x", "D1", "signed_curve25519")).toEqual({ key_id: "F2", key_json: '{"key":"f2"}', used: 0 });
  expect(keys().claimFallbackKey("@a:x", "D1", "curve25519")).toBeNull();
});

test("device keys are listed with the device's display name; deleting the device deletes all it published", () => {
  addDevice("@a:x", "D2");
  keys().putDeviceKeys("@a:x", "D1", '{"d":1}');
  keys().putDeviceKeys("@a:x", "D2", '{"d":2}');
  keys().addOneTimeKeys("@a:x", "D1", [otk("A")]);
  keys().putFallbackKey("@a:x", "D1", "signed_curve25519", "F", "{}");
  keys().putDeviceSignature("@a:x", "D1", "ed25519:ssk", "sig");
  expect(keys().userDeviceKeys("@a:x")).toEqual([
    { device_id: "D1", display_name: "name of D1", key_json: '{"d":1}' },
    { device_id: "D2", display_name: "name of D2", key_json: '{"d":2}' },
  ]);
  storage.accounts.deleteDevice("@a:x", "D1");
  expect(keys().getDeviceKeys("@a:x", "D1")).toBeNull();
  expect(keys().countOneTimeKeys("@a:x", "D1")).toEqual({});
  expect(keys().getFallbackKey("@a:x", "D1", "signed_curve25519")).toBeNull();
  expect(keys().deviceSignatures("@a:x").size).toBe(0);
  // A new device with the reused id starts with nothing.
  addDevice("@a:x", "D1");
  expect(keys().userDeviceKeys("@a:x").map((r) => r.device_id)).toEqual(["D2"]);
});

test("cross-signing keys are replaced per type; signatures are shown to their user and to their signer only", () => {
  keys().putCrossSigningKey("@a:x", "master", '{"m":1}');
  keys().putCrossSigningKey("@a:x", "master", '{"m":2}');
  keys().putCrossSigningKey("@a:x", "self_signing", '{"s":1}');
  expect(keys().crossSigningKeys("@a:x")).toEqual({ master: '{"m":2}', self_signing: '{"s":1}' });
  keys().putMasterKeySignature("@a:x", "MK", "@a:x", "ed25519:D1", "by-device");
  keys().putMasterKeySignature("@a:x", "MK", "@b:x", "ed25519:bUSK", "by-bob");
  keys().putMasterKeySignature("@a:x", "MK", "@c:x", "ed25519:cUSK", "by-carol");
  const seen = (viewer: string) => keys().masterKeySignatures("@a:x", "MK", viewer).map((s) => s.signature).sort();
  expect(seen("@a:x")).toEqual(["by-device"]);
  expect(seen("@b:x")).toEqual(["by-bob", "by-device"]);
  expect(seen("@d:x")).toEqual(["by-device"]);
  keys().putMasterKeySignature("@a:x", "MK", "@b:x", "ed25519:bUSK", "by-bob-again");
  expect(seen("@b:x")).toEqual(["by-bob-again", "by-device"]);
  keys().deleteMasterKeySignatures("@a:x", "MK");
  expect(seen("@b:x")).toEqual([]);
});

test("signatures of a replaced self-signing key are forgotten", () => {
  keys().putDeviceSignature("@a:x", "D1", "ed25519:old", "s1");
  keys().putDeviceSignature("@a:x", "D1", "ed25519:new", "s2");
  keys().deleteDeviceSignaturesBy("@a:x", "ed25519:old");
  expect(keys().deviceSignatures("@a:x").get("D1")).toEqual([{ signer_key: "ed25519:new", signature: "s2" }]);
});

test("a user has one dehydrated device; deleting its device row removes it", () => {
  addDevice("@a:x", "DH1");
  keys().putDehydratedDevice("@a:x", "DH1", '{"algorithm":"m.dehydration.v2"}');
  expect(keys().getDehydratedDevice("@a:x")).toEqual({ device_id: "DH1", device_data: '{"algorithm":"m.dehydration.v2"}' });
  addDevice("@a:x", "DH2");
  keys().putDehydratedDevice("@a:x", "DH2", "{}");
  expect(keys().getDehydratedDevice("@a:x")?.device_id).toBe("DH2");
  storage.accounts.deleteDevice("@a:x", "DH2");
  expect(keys().getDehydratedDevice("@a:x")).toBeNull();
});

test("concurrent claims on separate connections never hand out the same key twice", async () => {
  const dir = mkdtempSync(join(tmpdir(), "conduit-otk-"));
  const file = join(dir, "conduit.db");
  const main = createStorage(openDatabase(file));
  const workers = Array.from({ length: 4 }, () => new Worker(new URL("./otk-claim.worker.ts", import.meta.url)));
  try {
    main.accounts.insertUser({ userId: "@a:x", passwordHash: null, displayname: null, isGuest: false, createdTs: 1 });
    main.accounts.ensureDevice("@a:x", "D1", null, 1);
    const next = (worker: Worker) =>
      new Promise<string[]>((resolve, reject) => {
        worker.onmessage = (m: MessageEvent<string[]>) => resolve(m.data);
        worker.onerror = (e) => reject(new Error(e.message));
      });
    // Each worker opens its connection first and says so (an empty list), then claims on "go".
    await Promise.all(workers.map((w) => { const ready = next(w); w.postMessage({ file, userId: "@a:x", deviceId: "D1" }); return ready; }));
    const perRound = 1_000;
    let overlapped = false;
    // On a busy machine one worker may drain a round before the others are scheduled: such a
    // round proves nothing about concurrency, so rounds repeat until claimers did overlap.
    for (let round = 0; round < 20 && !overlapped; round++) {
      main.transaction(() => {
        main.e2eeKeys.addOneTimeKeys("@a:x", "D1", Array.from({ length: perRound }, (_, j) => otk(`R${round}K${j}`)));
      });
      const results = await Promise.all(workers.map((w) => { const done = next(w); w.postMessage("go"); return done; }));
      const claimed = results.flat();
      expect(claimed).toHaveLength(perRound);
      expect(new Set(claimed).size).toBe(perRound);
      overlapped = results.filter((r) => r.length > 0).length > 1;
    }
    expect(overlapped).toBe(true);
    expect(main.e2eeKeys.countOneTimeKeys("@a:x", "D1")).toEqual({});
  } finally {
    for (const w of workers) w.terminate();
    main.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test("key counts for /sync in one read: one-time keys per algorithm and unused fallback algorithms", () => {
  expect(keys().keyCounts("@a:x", "D1")).toEqual({ oneTime: {}, unusedFallback: [] });
  keys().addOneTimeKeys("@a:x", "D1", [otk("A"), otk("B"), { algorithm: "curve25519", keyId: "C", json: '"c"' }]);
  keys().putFallbackKey("@a:x", "D1", "signed_curve25519", "F", "{}");
  keys().putFallbackKey("@a:x", "D1", "curve25519", "G", '"g"');
  keys().claimFallbackKey("@a:x", "D1", "curve25519");
  expect(keys().keyCounts("@a:x", "D1")).toEqual({ oneTime: { signed_curve25519: 2, curve25519: 1 }, unusedFallback: ["signed_curve25519"] });
});
