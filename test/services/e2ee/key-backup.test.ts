// Key backups: versions, keys at three levels with the replacement rule, count and etag, and
// M_WRONG_ROOM_KEYS_VERSION naming the current version.
import { beforeEach, describe, expect, test } from "bun:test";
import type { JsonObject } from "../../../src/core";
import { e2eeArea, refusal, type E2eeArea } from "../../helpers/e2ee-area";

let area: E2eeArea;
let alice: string;
const algorithm = "m.megolm_backup.v1.curve25519-aes-sha2";
beforeEach(async () => {
  area = await e2eeArea();
  alice = await area.addUser("alice");
});

const backup = () => area.e2ee.backup;
const key = (first_message_index: number, forwarded_count = 0, is_verified = false, data = "x") => ({
  first_message_index,
  forwarded_count,
  is_verified,
  session_data: { ciphertext: data },
});

describe("versions", () => {
  test("create, read the newest or one, update auth_data only, delete", () => {
    expect(refusal(() => backup().getVersion(alice)).errcode).toBe("M_NOT_FOUND");
    expect(backup().createVersion(alice, { algorithm, auth_data: { public_key: "a" } })).toEqual({ version: "1" });
    expect(backup().createVersion(alice, { algorithm, auth_data: { public_key: "b" } })).toEqual({ version: "2" });
    expect(backup().getVersion(alice)).toEqual({ algorithm, auth_data: { public_key: "b" }, count: 0, etag: "0", version: "2" });
    expect(backup().getVersion(alice, "1").auth_data).toEqual({ public_key: "a" });
    backup().updateVersion(alice, "1", { algorithm, auth_data: { public_key: "c" }, version: "1" });
    expect(backup().getVersion(alice, "1").auth_data).toEqual({ public_key: "c" });
    expect(refusal(() => backup().updateVersion(alice, "1", { algorithm: "other", auth_data: {} })).errcode).toBe("M_INVALID_PARAM");
    expect(refusal(() => backup().updateVersion(alice, "1", { algorithm, auth_data: {}, version: "2" })).errcode).toBe("M_INVALID_PARAM");
    expect(refusal(() => backup().updateVersion(alice, "9", { algorithm, auth_data: {} })).errcode).toBe("M_NOT_FOUND");
    backup().deleteVersion(alice, "2");
    expect(backup().getVersion(alice).version).toBe("1");
    expect(refusal(() => backup().deleteVersion(alice, "2")).errcode).toBe("M_NOT_FOUND");
    expect(refusal(() => backup().getVersion(alice, "not-a-number")).errcode).toBe("M_NOT_FOUND");
    expect(refusal(() => backup().createVersion(alice, { algorithm, auth_data: null })).message).toStartWith("auth_data");
  });
});

describe("keys", () => {
  beforeEach(() => {
    backup().createVersion(alice, { algorithm, auth_data: {} });
  });
  const put = (body: unknown, roomId?: string, sessionId?: string) => backup().putKeys(alice, "1", { body, roomId, sessionId });

  test("three levels of upload and read, with count and etag", () => {
    expect(put({ rooms: { "!a:x": { sessions: { s1: key(0), s2: key(0) } } } })).toEqual({ count: 2, etag: "1" });
    expect(put({ sessions: { s3: key(0) } }, "!b:x")).toEqual({ count: 3, etag: "2" });
    expect(put(key(0), "!b:x", "s4")).toEqual({ count: 4, etag: "3" });
    expect(Object.keys((backup().getKeys(alice, "1", {}).rooms as JsonObject)).sort()).toEqual(["!a:x", "!b:x"]);
    expect(Object.keys(backup().getKeys(alice, "1", { roomId: "!b:x" }).sessions as JsonObject).sort()).toEqual(["s3", "s4"]);
    expect(backup().getKeys(alice, "1", { roomId: "!b:x", sessionId: "s4" })).toEqual(key(0));
    expect(backup().getKeys(alice, "1", { roomId: "!none:x" })).toEqual({ sessions: {} });
    expect(refusal(() => backup().getKeys(alice, "1", { roomId: "!none:x", sessionId: "s" })).errcode).toBe("M_NOT_FOUND");
    expect(backup().deleteKeys(alice, "1", { roomId: "!a:x", sessionId: "s1" })).toEqual({ count: 3, etag: "4" });
    expect(backup().deleteKeys(alice, "1", { roomId: "!b:x" })).toEqual({ count: 1, etag: "5" });
    expect(backup().deleteKeys(alice, "1", {})).toEqual({ count: 0, etag: "6" });
    expect(backup().getKeys(alice, "1", {})).toEqual({ rooms: {} });
  });

  test("the spec's replacement rule decides; a key that loses changes nothing", () => {
    put(key(5, 1, false, "first"), "!a:x", "s");
    expect(put(key(6, 0, false, "worse index"), "!a:x", "s")).toEqual({ count: 1, etag: "1" });
    put(key(5, 0, false, "fewer forwards"), "!a:x", "s");
    put(key(9, 9, true, "verified"), "!a:x", "s");
    put(key(0, 0, false, "unverified"), "!a:x", "s");
    expect(backup().getKeys(alice, "1", { roomId: "!a:x", sessionId: "s" })).toEqual(key(9, 9, true, "verified"));
    expect(backup().getVersion(alice).etag).toBe("3");
  });

  test("only the current version takes keys; other versions can be read", () => {
    put(key(0), "!a:x", "s");
    backup().createVersion(alice, { algorithm, auth_data: {} });
    const e = refusal(() => put(key(0), "!a:x", "t"));
    expect(e).toMatchObject({ status: 403, errcode: "M_WRONG_ROOM_KEYS_VERSION", extra: { current_version: "2" } });
    expect(backup().getKeys(alice, "1", { roomId: "!a:x", sessionId: "s" })).toEqual(key(0));
    expect(refusal(() => backup().getKeys(alice, "7", {})).errcode).toBe("M_NOT_FOUND");
  });

  test("bad uploads name the field and store nothing", () => {
    const e = refusal(() => put({ rooms: { "!a:x": { sessions: { s1: key(0), s2: { ...key(0), is_verified: "no" } } } } }));
    expect(e.message).toBe('rooms["!a:x"].sessions.s2.is_verified: must be a boolean');
    expect(refusal(() => put(key(0), "not a room", "s")).errcode).toBe("M_INVALID_PARAM");
    expect(refusal(() => put({ first_message_index: -1 }, "!a:x", "s")).message).toStartWith("first_message_index");
    expect(backup().getVersion(alice)).toMatchObject({ count: 0, etag: "0" });
  });
});
