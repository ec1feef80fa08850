// Key backup: the spec's replacement rule (verified first, then the lower first_message_index,
// then the lower forwarded_count, ties keep what is stored) and the shape checks of uploads.
import { describe, expect, test } from "bun:test";
import { checkBackupKey, checkBackupRooms, checkBackupVersion, replacesBackupKey } from "../../../src/core";

const rank = (is_verified: boolean, first_message_index: number, forwarded_count: number) => ({ is_verified, first_message_index, forwarded_count });

describe("replacesBackupKey", () => {
  test.each([
    ["verified beats unverified, whatever the indexes", rank(false, 0, 0), rank(true, 9, 9), true],
    ["unverified never replaces verified", rank(true, 9, 9), rank(false, 0, 0), false],
    ["a lower first_message_index wins", rank(false, 5, 0), rank(false, 2, 3), true],
    ["a higher first_message_index loses", rank(false, 2, 3), rank(false, 5, 0), false],
    ["then a lower forwarded_count wins", rank(true, 2, 3), rank(true, 2, 1), true],
    ["a higher forwarded_count loses", rank(true, 2, 1), rank(true, 2, 3), false],
    ["a tie keeps the stored key", rank(true, 2, 1), rank(true, 2, 1), false],
  ])("%s", (_, existing, candidate, replaces) => {
    expect(replacesBackupKey(existing, candidate)).toBe(replaces);
  });
});

describe("shape checks", () => {
  const key = { first_message_index: 1, forwarded_count: 0, is_verified: false, session_data: { ciphertext: "x" } };

  test("a complete upload is read room by room", () => {
    const result = checkBackupRooms({ rooms: { "!r:a.test": { sessions: { s1: key, s2: key } } } });
    expect(result.ok && result.value.map((k) => `${k.roomId}/${k.sessionId}`)).toEqual(["!r:a.test/s1", "!r:a.test/s2"]);
  });

  test.each([
    ["a negative index", { ...key, first_message_index: -1 }, "k.first_message_index"],
    ["a float count", { ...key, forwarded_count: 1.5 }, "k.forwarded_count"],
    ["a string is_verified", { ...key, is_verified: "true" }, "k.is_verified"],
    ["null session_data", { ...key, session_data: null }, "k.session_data"],
  ])("malformed key: %s", (_, value, field) => {
    const result = checkBackupKey(value, "k");
    expect(!result.ok && result.problem).toMatchObject({ errcode: "M_BAD_JSON", field });
  });

  test("bad rooms bodies name the field", () => {
    const noRooms = checkBackupRooms({});
    expect(!noRooms.ok && noRooms.problem.field).toBe("rooms");
    const badRoom = checkBackupRooms({ rooms: { "not-a-room": { sessions: {} } } });
    expect(!badRoom.ok && badRoom.problem).toMatchObject({ errcode: "M_INVALID_PARAM", field: 'rooms["not-a-room"]' });
    const badSession = checkBackupRooms({ rooms: { "!r:a.test": { sessions: { s1: { ...key, is_verified: 1 } } } } });
    expect(!badSession.ok && badSession.problem.field).toBe('rooms["!r:a.test"].sessions.s1.is_verified');
  });

  test("a version needs an algorithm and auth_data", () => {
    expect(checkBackupVersion({ algorithm: "m.megolm_backup.v1.curve25519-aes-sha2", auth_data: {} }).ok).toBe(true);
    const noAlgorithm = checkBackupVersion({ auth_data: {} });
    expect(!noAlgorithm.ok && noAlgorithm.problem.field).toBe("algorithm");
    const badAuth = checkBackupVersion({ algorithm: "a", auth_data: "x" });
    expect(!badAuth.ok && badAuth.problem.field).toBe("auth_data");
  });
});
